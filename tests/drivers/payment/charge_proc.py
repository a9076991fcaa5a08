"""A terminal process in miniature for the kill tests: charges one WeChat payment code through
the real adapter against the emulator and prints the result (if it lives that long).

    python -m tests.drivers.payment.charge_proc URL CA_FILE CERT KEY SALE_ID CODE AMOUNT
"""

from __future__ import annotations

import sys

from terminal.drivers.payment.flow import CodeProvider, Timing
from terminal.drivers.payment.http import Transport
from terminal.drivers.payment.wechat import WeChatApi
from tests.drivers.payment.conftest import wechat_credentials


def main(argv: list[str]) -> None:
    url, ca, cert, key, sale_id, code, amount = argv
    transport = Transport(ca_file=ca, client_cert=(cert, key))
    api = WeChatApi(wechat_credentials((cert, key)), transport, base_url=url)
    provider = CodeProvider(api, Timing(deadline_s=60, poll_s=0.05, reverse_after_s=0))
    print("charging", flush=True)
    print(provider.charge(code, int(amount), "CNY", sale_id), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
