"""Side effects of colorize: check_* (validate, authorize) then do_* (mutate)."""
