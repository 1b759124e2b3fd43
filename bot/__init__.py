"""quotebot's front ends: the command logic, the cards, Discord and the console."""
