"""Payment back ends behind the core's ports (``PaymentProvider``, ``CardTerminal``): the
simulated mobile-QR provider and card terminal, the live WeChat Pay v2 and Alipay payment-code
adapters (``live.LiveQrProvider`` in front of one ``flow.CodeProvider`` per wallet), and the
back ends of a store that takes no QR or no card payments. docs/payments.md."""
