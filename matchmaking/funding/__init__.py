"""Who funds what: organisation roles and budgets of programmes, exchange
rates, the coordination view and its overlap warning, IATI in and out."""
