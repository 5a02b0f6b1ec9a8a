"""Loaders: each turns one kind of source file into Deployment records."""
