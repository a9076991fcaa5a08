"""Barcode scanners: evdev keyboard-mode devices, serial devices and a simulated scanner, all
implementing ``terminal.core.ports.ScanSource`` and producing the same codes."""
