"""PDF documents built with reportlab: the donor report, one application, a grant agreement
summary. Every piece of user text goes through `base.para`, which escapes it before it reaches
reportlab's Paragraph markup, so a title such as <img src="/etc/passwd"/> prints literally."""
