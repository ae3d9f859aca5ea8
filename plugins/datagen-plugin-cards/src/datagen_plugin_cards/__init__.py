"""datagen entity pack: credit cards (``credit_card``) and card purchases (``card_transaction``)."""
