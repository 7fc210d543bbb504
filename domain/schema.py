"""JSON Schemas of the request document and of `starter.py status --json`, generated from the pydantic
models that read and write them (domain/request.py LegalRequest, domain/case.py CaseStatus).

    python -m domain.schema            # writes schema/request.schema.json and schema/status.schema.json
    python -m domain.schema --check    # exit 1 if the checked-in files differ from what the models make

The request schema states the document's shape and every limit the model enforces that JSON Schema can
say: field types, enums, required fields, unknown fields allowed, each text field's length limit, the
request_id alphabet, E.164 numbers, SHA-256 digests, jurisdictions, and per target kind its value and
fields. What it cannot say (text that is blank once invisible characters are dropped, a period's end
after its start, a lone surrogate, 1 MiB, duplicate keys, the legal policy) only `starter.py check`
decides: a document valid against the schema can still be rejected there, never the other way round."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from domain.case import CaseStatus
from domain.identifiers import REQUEST_ID
from domain.request import SHA256_HEX, LegalRequest
from domain.vocabulary import TargetKind
from domain.wellformed import E164, MAX_EMAIL_CHARS, US_STATE_CODES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FOLDER = Path(__file__).resolve().parents[1] / "schema"


def _whole(pattern: str) -> str:
    """A Python pattern the model matches whole (re.fullmatch), anchored for JSON Schema's search."""
    return f"^(?:{pattern})$"


JURISDICTIONS = ["federal", *(f"state:{code}" for code in sorted(US_STATE_CODES))]

FIELD_VALIDATOR_KEYWORDS: dict[str, JsonSchemaValue] = {
    "_well_formed_request_id": {"pattern": _whole(REQUEST_ID.pattern)},
    "_extension_names_a_request": {"pattern": _whole(REQUEST_ID.pattern)},
    "_sha256_form": {"pattern": _whole(SHA256_HEX.pattern)},
    "_number_is_e164": {"pattern": _whole(E164.pattern)},
    "_jurisdiction_form": {"enum": JURISDICTIONS},
    "_email_limits": {"maxLength": MAX_EMAIL_CHARS},
}
"""What each of domain/request.py's validators checks, in JSON Schema's words (by validator name)."""

TARGET_RULES: list[JsonSchemaValue] = [
    {"if": {"properties": {"kind": {"const": TargetKind.PHONE_NUMBER.value}}},
     "then": {"properties": {"value": {"pattern": _whole(E164.pattern)}}}},
    {"if": {"properties": {"kind": {"const": TargetKind.IP_ADDRESS.value}}},
     "then": {"required": ["observed_at"]}},
    {"if": {"properties": {"kind": {"const": TargetKind.EMAIL.value}}},
     "then": {"properties": {"value": {"pattern": "^[^@]+@[^@]+$", "maxLength": MAX_EMAIL_CHARS}}}},
]
"""domain/request.py Target._value_fits_kind: what a target's kind asks of its value and fields."""

MODEL_VALIDATOR_KEYWORDS: dict[str, JsonSchemaValue] = {"_value_fits_kind": {"allOf": TARGET_RULES}}


def _validator_name(function: Callable[..., Any]) -> str | None:
    return getattr(function, "__name__", None)


class _ModelSchema(GenerateJsonSchema):
    """pydantic's generator, taught what the request model's validators check."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        json_schema = super().function_before_schema(schema)
        function = schema["function"]["function"]
        if isinstance(function, partial) and "limit" in function.keywords:  # domain/request.py _at_most
            return {**json_schema, "maxLength": function.keywords["limit"]}
        return {**json_schema, **FIELD_VALIDATOR_KEYWORDS.get(_validator_name(function) or "", {})}

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        json_schema = super().function_after_schema(schema)
        name = _validator_name(schema["function"]["function"]) or ""
        extra = FIELD_VALIDATOR_KEYWORDS.get(name) or MODEL_VALIDATOR_KEYWORDS.get(name)
        if extra is None:
            return json_schema
        if "$ref" in json_schema:  # a model: its rules go into its definition
            definition = self.definitions[json_schema["$ref"].split("/")[-1]]
            definition.update(extra)
            return json_schema
        return {**json_schema, **extra}


class RestrictedStatus(BaseModel):
    """What `status --json` prints of a national security case to a person the cleared codec server
    will not open it for (console/cli.py print_restricted): that it exists, its state and deadlines."""

    model_config = ConfigDict(extra="forbid", title="RestrictedStatus")

    request_id: str
    request_type: str | None = Field(description="From the case's search attributes.")
    state: str = Field(description="The case's state, or open/closed when none was published.")
    deadlines: dict[str, AwareDatetime] = Field(description="response_due only, when the case has one.")
    overdue: bool
    restricted: Literal[True] = Field(description="Always true: the contents are withheld.")


PROGRESS: JsonSchemaValue = {
    "type": "array",
    "description": "Added by `status --json` (not SPEC's keys): one object per running activity that "
                   "reported progress: activity, step, rows, bytes, files, of, attempt, last_heartbeat, "
                   "seconds_since_heartbeat; empty when nothing runs.",
    "items": {"type": "object"},
}


def request_schema() -> JsonSchemaValue:
    """The request document (SPEC §1), as domain/request.py LegalRequest reads it."""
    schema = LegalRequest.model_json_schema(schema_generator=_ModelSchema)
    return {"$schema": DIALECT, "title": "LES request document", **schema}


def status_schema() -> JsonSchemaValue:
    """`starter.py status ID --json`: the case's status (CaseStatus, as written) plus `progress`, or the
    restricted view of a national security case."""
    full = CaseStatus.model_json_schema(mode="serialization", schema_generator=_ModelSchema)
    restricted = RestrictedStatus.model_json_schema(mode="serialization", schema_generator=_ModelSchema)
    definitions = {**full.pop("$defs", {}), **restricted.pop("$defs", {})}
    full["properties"]["progress"] = PROGRESS
    return {
        "$schema": DIALECT,
        "title": "LES status --json",
        "description": "The case's status, or (restricted: true) what anyone may see of a national security "
                       "case they are not cleared to read.",
        "anyOf": [{"$ref": "#/$defs/CaseStatus"}, {"$ref": "#/$defs/RestrictedStatus"}],
        "$defs": {**definitions, "CaseStatus": full, "RestrictedStatus": restricted},
    }


SCHEMAS: dict[str, Callable[[], JsonSchemaValue]] = {
    "request.schema.json": request_schema,
    "status.schema.json": status_schema,
}


def schema_text(name: str) -> str:
    """The file's content as checked in: the schema as JSON, two-space indents, one trailing newline."""
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


def stale_files(folder: Path) -> list[str]:
    """The schema files in `folder` that are missing or differ from what the models make now."""
    stale = []
    for name in SCHEMAS:
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != schema_text(name):
            stale.append(name)
    return stale


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into `folder` (created if missing); returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = folder / name
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m domain.schema", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SCHEMA_FOLDER, metavar="FOLDER",
                        help=f"where the schema files go (default: {SCHEMA_FOLDER})")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a file in FOLDER is missing or out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.out)
        for name in stale:
            print(f"{args.out / name}: out of date; run `python -m domain.schema`", file=sys.stderr)
        return 1 if stale else 0
    try:
        written = write_schemas(args.out)
    except OSError as err:
        print(f"domain.schema: cannot write into {args.out}: {err.strerror or err}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
