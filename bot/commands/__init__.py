"""The command logic shared by Discord, the console and the CLI: plain data in and out."""
