"""The live mobile-QR provider: one ``PaymentProvider`` in front of the WeChat Pay and Alipay
adapters, sending each payment code to its wallet and each refund or reversal to the wallet its
reference names. Also the back ends of a store that takes no QR or no card payments."""

from __future__ import annotations

from collections.abc import Mapping

from terminal.core.ports import PaymentOutcome, PaymentResult
from terminal.drivers.payment.flow import CodeProvider
from terminal.drivers.payment.qr import wallet_of

WALLET_NAMES = {"wechat": "WeChat Pay", "alipay": "Alipay"}


class LiveQrProvider:
    def __init__(self, wallets: Mapping[str, CodeProvider]) -> None:
        self.wallets = dict(wallets)

    def charge(
        self, payment_code: str, amount: int, currency: str, sale_id: str, tender_no: int = 1
    ) -> PaymentResult:
        code = payment_code.strip()
        wallet = wallet_of(code)
        provider = self.wallets.get(wallet or "")
        if provider is None:
            what = WALLET_NAMES.get(wallet or "", "this kind of payment code")
            return PaymentResult(
                PaymentOutcome.DECLINED, message=f"this store does not take {what}"
            )
        return provider.charge(code, amount, currency, sale_id, tender_no)

    def settle(
        self, sale_id: str, tender_no: int, amount: int | None = None
    ) -> PaymentResult | None:
        """After a restart: close or recover the orders a charge of this tender left, at
        every live wallet (the code that was scanned is not known any more)."""
        found: PaymentResult | None = None
        for provider in self.wallets.values():
            result = provider.settle(sale_id, tender_no, amount)
            if result is not None and (found is None or result.outcome is PaymentOutcome.APPROVED):
                found = result
        return found

    def _by_reference(self, reference: str) -> CodeProvider | None:
        for provider in self.wallets.values():
            if reference.startswith(provider.api.prefix):
                return provider
        return None

    def cancel(self, sale_id: str, reference: str) -> None:
        provider = self._by_reference(reference)
        if provider is not None:
            provider.cancel(sale_id, reference)

    def refund(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        provider = self._by_reference(reference)
        if provider is None:
            return PaymentResult(
                PaymentOutcome.DECLINED,
                message=f"payment {reference!r} was not taken by a live provider of this store",
            )
        return provider.refund(sale_id, reference, amount)

    def live(self) -> list[str]:
        return [WALLET_NAMES[w] for w in self.wallets]


class NoQrProvider:
    """``[payments] qr = "none"``: the store takes no payment codes."""

    def charge(
        self, payment_code: str, amount: int, currency: str, sale_id: str, tender_no: int = 1
    ) -> PaymentResult:
        return PaymentResult(PaymentOutcome.DECLINED, message="this store takes no QR payments")

    def cancel(self, sale_id: str, reference: str) -> None:
        return None

    def refund(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        return PaymentResult(PaymentOutcome.DECLINED, message="this store takes no QR payments")


class NoCardTerminal:
    """``[payments] card = "none"``: the store takes no card payments."""

    def charge(self, amount: int, currency: str, sale_id: str) -> PaymentResult:
        return PaymentResult(PaymentOutcome.DECLINED, message="this store takes no cards")

    def reverse(self, sale_id: str, reference: str, amount: int) -> PaymentResult:
        # Nothing was ever charged here, so there is nothing to give back.
        return PaymentResult(PaymentOutcome.DECLINED, message="this store takes no cards")
