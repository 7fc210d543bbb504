"""The records store's schema from the command line, for the database LES_DATABASE_URL names.

    python -m recordstore.migrate upgrade   bring it to this release's schema (what stack.py up and worker.py do)
    python -m recordstore.migrate current   say where it stands (exit 1 if an upgrade is due, 2 if unknown)
    python -m recordstore.migrate check     compare it with the models (exit 1 on any difference)
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from les.config import ConfigurationError, Settings, redacted_url
from recordstore.db import make_engine
from recordstore.migrations import SchemaUnknown, differences, schema_status, upgrade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recordstore.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["upgrade", "current", "check"])
    args = parser.parse_args(argv)
    try:
        url = Settings.from_env().database_url
    except ConfigurationError as err:
        print(f"migrate: {err}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        if args.command == "upgrade":
            before = upgrade(engine)
            after = schema_status(engine)
            was = before.current or before.detected
            print(f"{after.line()} (was: {before.state}{', ' + was if was else ''})")
            return 0
        status = schema_status(engine)
        if args.command == "current":
            print(status.line())
            return {"current": 0, "unknown": 2}.get(status.state, 1)
        if status.state != "current":
            print(status.line())
            return 1
        with engine.connect() as connection:
            found = differences(connection)
        for difference in found:
            print(f"differs: {difference}")
        print("the schema matches the models" if not found else f"{len(found)} difference(s) from the models")
        return 1 if found else 0
    except SchemaUnknown as err:
        print(f"migrate: {err}", file=sys.stderr)
        return 2
    except SQLAlchemyError as err:
        print(f"migrate: the records store at {redacted_url(url)} failed: {str(err).splitlines()[0]}",
              file=sys.stderr)
        return 3
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
