from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        # allauth's signals are its documented hooks into sign-in changes; the receivers revoke
        # API tokens (imported here: models are loaded only now).
        from allauth.account import signals as account_signals
        from allauth.mfa import signals as mfa_signals

        from accounts import receivers

        for signal in (account_signals.password_changed, account_signals.password_reset, account_signals.password_set):
            signal.connect(receivers.on_password_changed, dispatch_uid=f"hromada-tokens-{id(signal)}")
        account_signals.email_changed.connect(receivers.on_email_changed, dispatch_uid="hromada-tokens-email")
        for signal in (mfa_signals.authenticator_removed, mfa_signals.authenticator_reset):
            signal.connect(receivers.on_authenticator_changed, dispatch_uid=f"hromada-tokens-{id(signal)}")
