"""`cleaner suggest`: rule files written from the lines mined as repeated across a site."""
