"""Text people type, cleaned of characters that change how other text is shown.

One rule, applied on input by forms (`core.forms.TextCleaning`), the API (`core.api.TextCleaning`),
the autosave, imports and upload file names, and on output by spreadsheets and PDFs (old data may
hold them already): control characters and bidirectional formatting characters are removed, never
refused, so a pasted title or a file name from another system is accepted as the reader will see it.

- `single_line`: titles, names, file names. Line breaks and tabs become one space each; ESC and
  every other C0/C1 control, and the bidirectional controls (U+202A–U+202E, U+2066–U+2069,
  U+200E, U+200F, U+061C), are removed.
- `multi_line`: summaries, answers, comments. Newlines and tabs are kept (a lone CR becomes a
  newline); the other controls and the bidirectional controls are removed.
"""

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

# C0 except tab, LF, CR; DEL; C1 (U+0080–U+009F, NEL included); the bidirectional controls.
_OTHER_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")
# What breaks a line (or jumps to a tab stop) in a field meant to hold one line.
_BREAKS = re.compile("\r\n|[\t\n\r\x0b\x0c\x85\u2028\u2029]")
_LONE_CR = re.compile("\r(?!\n)")


def single_line(value: str) -> str:
    """`value` as one line: breaks and tabs become spaces, controls and bidi controls go."""
    return _OTHER_CONTROLS.sub("", _BREAKS.sub(" ", value))


def multi_line(value: str) -> str:
    """`value` with its newlines and tabs kept and every other control and bidi control removed."""
    return _OTHER_CONTROLS.sub("", _LONE_CR.sub("\n", value.replace("\u2028", "\n").replace("\u2029", "\n")))
