"""What the three apps share about the business: rule violations, money, limits."""
