"""Who may do what with reviews."""
