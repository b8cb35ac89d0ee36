"""Small widgets of the main screen; each renders one part of a DetectorSnapshot."""
