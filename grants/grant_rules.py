"""Who may do what with grants, tranches, payments and exchange rates."""
