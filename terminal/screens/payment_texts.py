"""What the screens say about payments: which providers take real money (the header), and
the payment providers' reasons in the clerk's language. A declined or timed-out payment's
core message carries the adapter's English reason (``insufficient balance (NOTENOUGH,
余额不足)``); the screen finds the reasons it knows in it and says them after its own sentence.
The English texts are the ones ``terminal/drivers/payment`` writes (a test keeps them equal)."""

from __future__ import annotations

from collections.abc import Callable

from terminal.screens.i18n import N_
from terminal.screens.port import PaymentModes

PROVIDER_REASONS: tuple[str, ...] = (
    N_("insufficient balance"),
    N_("insufficient balance on the customer's card"),
    N_("the customer's card cannot be used here"),
    N_("the payment code has expired: ask the customer to refresh it"),
    N_("the payment code was already used: ask the customer to refresh it"),
    N_("not a WeChat Pay payment code"),
    N_("the order was closed"),
    N_("the order was reversed"),
    N_("a different customer paid this order before"),
    N_("refused by the provider's risk control"),
    N_("the provider refused the request's fields"),
    N_("the provider refused the signature: check the API key"),
    N_("the provider refused the signature: check the app key"),
    N_("the provider does not know the app id"),
    N_("the app id does not belong to the merchant id"),
    N_("the merchant may not take payment codes"),
    N_("the provider refused"),
    N_("the amount is over the limit"),
    N_("the customer cannot pay the merchant's own account"),
    N_("the payment is too old to refund"),
    N_("the customer's account cannot receive the refund"),
    N_("too many refunds of this payment"),
    N_("refunds of one payment must be a minute apart"),
    N_("the refund is more than what is left of the payment"),
    N_("the merchant's balance cannot cover the refund"),
    N_("the provider does not know this payment"),
    N_("the payment cannot be refunded in its present state"),
    N_("a refund under this number had other fields"),
    N_("the payment was reversed, nothing was taken"),
    N_("the reversal was not confirmed: check the customer's phone before charging again"),
    N_("this store does not take WeChat Pay"),
    N_("this store does not take Alipay"),
    N_("this store takes no QR payments"),
)


def provider_reasons(message: str, _: Callable[[str], str]) -> str:
    """The known reasons in ``message``, translated, in the order they appear; a reason inside
    a longer one found there ("the provider refused" in "... refused the signature ...") is
    not said twice. "" when there is none."""
    found = [(message.find(r), r) for r in PROVIDER_REASONS if r in message]
    kept = [
        (at, r) for at, r in found if not any(r != other and r in other for _at, other in found)
    ]
    if not kept:
        return ""
    return _("Reason: {reason}").format(reason="; ".join(_(r) for _at, r in sorted(kept)))


WALLETS = {"wechat": N_("WeChat Pay"), "alipay": N_("Alipay")}


def payments_status(payments: PaymentModes, _: Callable[[str], str]) -> str:
    """The header's word on what takes the money: the live wallets, or a warning that
    payments are simulated; "" when the store takes no QR payments."""
    qr = payments.qr
    if qr == "live":
        names = " / ".join(_(WALLETS[w]) for w in payments.live if w in WALLETS)
        return _("Live: {providers}").format(providers=names)
    if qr == "simulated":
        return _("Payments simulated: no money moves")
    return ""
