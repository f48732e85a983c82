"""Demo people: every demo login shares this password (printed by `manage.py seed_demo`)."""

DEMO_PASSWORD = "hromada-demo-2026"
