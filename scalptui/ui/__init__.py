"""The Textual terminal UI. Imports textual; never imports ccxt at module level."""
