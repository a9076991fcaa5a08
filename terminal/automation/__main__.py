"""``python -m terminal.automation``: send one command to a running simulator, from a shell.

    python -m terminal.automation scan 6901285000010
    python -m terminal.automation tap sale.pay
    python -m terminal.automation state
    python -m terminal.automation --socket /path/automation.sock printer paper_out

Without ``--socket`` it talks to the demo started by ``make demo``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from terminal.automation.client import AutomationClient, AutomationError

ARGUMENT = {"scan": "code", "tap": "id", "type": "text", "key": "key", "screenshot": "path",
            "printer": "action", "language": "language"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.automation",
                                     description="Drive a running simulator terminal.")
    parser.add_argument("--socket", metavar="PATH",
                        help="control socket (default: the demo's, <data>/demo/automation.sock)")
    parser.add_argument("cmd", help="scan, tap, type, key, state, ids, screenshot, printer, "
                                    "wait_idle, language")
    parser.add_argument("arg", nargs="?", help="the command's argument")
    args = parser.parse_args(argv)
    if args.socket:
        path = Path(args.socket)
    else:
        from terminal.config import default_data_dir

        path = default_data_dir() / "demo" / "automation.sock"
    request: dict[str, object] = {"cmd": args.cmd}
    if args.cmd in ARGUMENT:
        if args.arg is None:
            parser.error(f"{args.cmd} needs its {ARGUMENT[args.cmd]}")
        request[ARGUMENT[args.cmd]] = args.arg
    try:
        with AutomationClient(path) as client:
            reply = client.raw(request)
    except (FileNotFoundError, ConnectionRefusedError):
        print(f"no terminal is listening on {path} (is `make demo` running?)", file=sys.stderr)
        return 2
    except AutomationError as e:
        print(e, file=sys.stderr)
        return 1
    print(json.dumps(reply, ensure_ascii=False, indent=2))
    return 0 if reply.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
