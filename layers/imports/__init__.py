"""Importing spatial files into a municipality's layers: one service behind the CLI and wizard.

See `layers.imports.service` for the flow, and `import_layer --help` for the command.
"""

from layers.imports.kinds import KINDS
from layers.imports.limits import ImportLimits
from layers.imports.messages import ImportCancelled, ImportRefused, Issue, Severity
from layers.imports.report import ImportReport
from layers.imports.service import layer_import, source_inspect
from layers.storage import dataset_file_path

__all__ = [
    "KINDS",
    "ImportCancelled",
    "ImportLimits",
    "ImportRefused",
    "ImportReport",
    "Issue",
    "Severity",
    "dataset_file_path",
    "layer_import",
    "source_inspect",
]
