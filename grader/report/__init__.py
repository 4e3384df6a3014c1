"""The class report: a static site made from a gradebook (or one grading), and its plain views.

``data`` reads what to show, ``analysis`` turns it into figures, ``charts`` into Vega-Lite
specifications, ``site`` writes the pages, ``markdown`` the short text version, and
``pseudonyms`` hides who is who.
"""
