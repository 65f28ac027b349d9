"""One module per group of CLI commands; each is a thin shell over the domain packages."""
