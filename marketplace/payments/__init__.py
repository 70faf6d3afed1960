"""Payment gateways (stripe, vietqr), webhooks and the payment ledger."""
