"""datagen entity pack: a Brazilian retail bank's customers, accounts and transactions."""
