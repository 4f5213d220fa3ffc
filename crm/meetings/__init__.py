"""Joint meetings, quarterly reviews, decisions and the PDF packets."""
