"""datagen entity pack: properties, loans and their installment schedules."""
