//! Built-in return and reward-transform plugins (filled in by the returns work).
