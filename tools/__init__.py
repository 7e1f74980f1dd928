"""Pure helpers of the addon (no ORM): what a mail says, its authentication,
its reconciliation with the invoice, the PDF conversion robot, a receiver's
whitelist as a value, and grants."""
