"""Booking API, persistence, web pages and the `noriai` command line."""
