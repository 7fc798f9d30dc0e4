"""Evidence files uploaded by civil servants: PDF, images, Word, Excel, OpenDocument.

The pieces, in the order an upload meets them:

- `UploadSizeLimit` (ASGI middleware) stops oversized request bodies early;
- `EvidenceStore.save_stream` / `save_file` write the file to a temp file, enforce the exact
  size limit, `sniff()` the content and move it into content-addressed storage;
- `safe_filename` turns the client's file name into a harmless label with an honest extension;
- `refusal_message` says, in Indonesian or English, why a file was refused and what to do.
"""

from app.evidence.limits import UploadSizeLimit
from app.evidence.messages import refusal_message
from app.evidence.names import safe_filename
from app.evidence.sniff import ALLOWED_EXTENSIONS, MEDIA_TYPES, REFUSAL_CODES, RefusedFile, Sniffed, sniff
from app.evidence.store import EvidenceStore, StoredFile

__all__ = [
    "ALLOWED_EXTENSIONS",
    "MEDIA_TYPES",
    "REFUSAL_CODES",
    "EvidenceStore",
    "RefusedFile",
    "Sniffed",
    "StoredFile",
    "UploadSizeLimit",
    "refusal_message",
    "safe_filename",
    "sniff",
]
