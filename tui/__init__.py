"""Everything a person sees: the command line, the headless report and the Textual explorer."""
