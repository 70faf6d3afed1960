"""Back-in-stock alerts: a shopper (signed in or not) leaves an email on a sold-out product and
gets one message when the seller puts units back on sale, with a link to unsubscribe."""
