"""The printing pages: print a document, my jobs, the 文印室 console, printer states and accounting."""
