"""The published X1 schemas (standards/etsi-ts-103-221-1/, vendored unedited) as a validator.

`TS_103_221_01.xsd` imports the common types (TS 103 280) and the hashed identifiers without a
`schemaLocation`; they are given to xmlschema by namespace here rather than by editing the files.
The schema is built once per process (about a second) and is then safe to share between threads."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

SCHEMA_FOLDER = Path("standards") / "etsi-ts-103-221-1"
X1_SCHEMA = "TS_103_221_01.xsd"
IMPORTS = {
    "http://uri.etsi.org/03280/common/2017/07": "TS_103_280.xsd",
    "http://uri.etsi.org/03221/X1/2017/10/HashedID": "TS_103_221_01_HashedID.xsd",
}
DIGESTS = {
    "TS_103_221_01.xsd": "83650c315ac79a0adc21a6e33344db90b3b3442c5073e38385d036f3565ca823",
    "TS_103_221_01_HashedID.xsd": "3279bf6317dc50a5eec75c8b720fe95dcb98270f3eab46808592a7cb5b1edb4b",
    "TS_103_280.xsd": "ba7fd42f5643a7cde79bf38fbc8ec9b90b145b157495f45da0a385bddc4966c0",
}
"""SHA-256 of each vendored file as ETSI published it (standards/etsi-ts-103-221-1/README.md)."""


class SchemaUnavailable(RuntimeError):
    """The vendored schemas are missing or edited: X1 is not spoken without them."""


def schema_folder() -> Path:
    """The vendored schemas: beside the source tree, or under the working folder (an installed copy)."""
    for base in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (base / SCHEMA_FOLDER / X1_SCHEMA).is_file():
            return base / SCHEMA_FOLDER
    raise SchemaUnavailable(f"the X1 schemas are not found under {SCHEMA_FOLDER} (beside the project or here)")


def digest_faults(folder: Path | None = None) -> list[str]:
    """Each vendored file whose SHA-256 is not the published one's (empty when all are as published)."""
    folder = folder or schema_folder()
    faults = []
    for name, expected in DIGESTS.items():
        path = folder / name
        actual = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        if actual != expected:
            faults.append(f"{name}: sha256 {actual}, published {expected}")
    return faults


@functools.cache
def x1_schema():  # -> xmlschema.XMLSchema10 (imported lazily: building it takes about a second)
    import xmlschema

    folder = schema_folder()
    faults = digest_faults(folder)
    if faults:
        raise SchemaUnavailable("the vendored X1 schemas differ from the published ones: " + "; ".join(faults))
    locations = [(namespace, str(folder / name)) for namespace, name in IMPORTS.items()]
    return xmlschema.XMLSchema10(str(folder / X1_SCHEMA), locations=locations)


def schema_errors(data: bytes) -> list[str]:
    """Why `data` is not a valid X1 document (X1Request, X1Response or X1TopLevelErrorResponse),
    one line per problem; empty when it is valid. `data` must already be safe XML (defusedxml)."""
    import io

    import xmlschema

    try:
        SafeET.fromstring(data, forbid_dtd=True)  # hostile XML is refused before xmlschema reads it
        resource = xmlschema.XMLResource(io.BytesIO(data), defuse="always")
    except (ET.ParseError, DefusedXmlException, xmlschema.XMLResourceError) as err:
        return [f"not well-formed XML: {err}"]
    problems = []
    try:
        for error in x1_schema().iter_errors(resource):
            problems.append(f"{error.path or '/'}: {getattr(error, 'reason', None) or error}")
    except (xmlschema.XMLSchemaException, KeyError) as err:  # e.g. an xsi:type no schema defines
        problems.append(f"not an X1 message the schema defines: {err}")
    return problems
