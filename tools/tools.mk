# Make targets for tools: included by the root Makefile.
