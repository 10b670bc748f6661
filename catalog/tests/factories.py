import factory

from catalog.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda number: f"SKU-{number:06d}")
    name = factory.Sequence(lambda number: f"Product {number}")
    description = factory.Faker("sentence")
    active = True
