"""Set-based SQL that fills a freshly migrated PostgreSQL database with many orders in seconds: the data-scale
benchmark's data (bench/scale.py) and the data of the test that the lists' plans read indexes
(orderservice/tests/test_list_indexes.py). Plain SQL strings, no Django: the benchmark runs it with psycopg."""

FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
]
ADJECTIVES = [
    "Compact",
    "Deluxe",
    "Ergonomic",
    "Portable",
    "Wireless",
    "Heavy-Duty",
    "Premium",
    "Classic",
    "Smart",
    "Rugged",
    "Slim",
    "Modular",
    "Quiet",
    "Rapid",
    "Solar",
    "Vintage",
    "Foldable",
    "Digital",
    "Mini",
    "Pro",
]
NOUNS = [
    "Laptop",
    "Mouse",
    "Keyboard",
    "Chair",
    "Desk",
    "Monitor",
    "Headset",
    "Lamp",
    "Router",
    "Speaker",
    "Camera",
    "Printer",
    "Tablet",
    "Charger",
    "Backpack",
    "Webcam",
    "Microphone",
    "Drive",
    "Cable",
    "Dock",
]
CATEGORIES = [
    "Electronics",
    "Furniture",
    "Office",
    "Audio",
    "Networking",
    "Storage",
    "Accessories",
    "Lighting",
    "Cameras",
    "Printing",
    "Gaming",
    "Outdoor",
    "Kitchen",
    "Garden",
    "Sports",
    "Toys",
    "Books",
    "Health",
    "Tools",
    "Travel",
]
STATUSES = [("Pending", 0.10), ("Processing", 0.10), ("Shipped", 0.15), ("Delivered", 0.55), ("Cancelled", 0.10)]


def sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def fill_statements(orders: int) -> list[str]:
    """Set-based SQL that fills a freshly migrated database: `orders` orders of 2 lines, a tenth as many
    customers and products. Deterministic (ids, names, order numbers and lines come from the row number;
    dates, prices, stock and statuses from random() after setseed)."""
    customers = products = max(orders // 10, 10)
    status_case = (
        "CASE "
        + "".join(
            f"WHEN r < {sum(share for _, share in STATUSES[: i + 1]):.2f} THEN '{name}' "
            for i, (name, _) in enumerate(STATUSES[:-1])
        )
        + f"ELSE '{STATUSES[-1][0]}' END"
    )

    # Each order's two lines: products picked by multiplicative hashing of the order number (a spread, and the
    # same in both statements that need them), 1-3 of each.
    def line(k: int, g: str) -> str:  # the product of line k of order g
        return (f"1 + ({g} * 7919) % {products}", f"1 + ({g} * 104729 + 1) % {products}")[k]

    def quantity(k: int, g: str) -> str:
        return (f"1 + {g} % 3", f"1 + ({g} / 3) % 3")[k]

    return [
        "SELECT setseed(0.42)",
        f"""INSERT INTO customers_customer (id, created_at, updated_at, first_name, last_name, email, phone, address)
            SELECT g, t, t, f, l, lower(f || '.' || l || '.' || g || '@example.com'),
                   '+1 555 ' || lpad((g % 10000)::text, 4, '0'), g || ' Main Street, Springfield'
            FROM generate_series(1::bigint, {customers}) g,
                 LATERAL (SELECT ({sql_array(FIRST_NAMES)})[1 + (g * 7) % {len(FIRST_NAMES)}] AS f,
                                 ({sql_array(LAST_NAMES)})[1 + (g * 13) % {len(LAST_NAMES)}] AS l,
                                 now() - interval '1200 days' + g * interval '1000 days' / {customers} AS t) x""",
        f"""INSERT INTO products_product (id, created_at, updated_at, name, description, price, sku, stock_quantity,
                                          category, is_active)
            SELECT g, t, t, a || ' ' || n || ' ' || g, 'A ' || lower(a) || ' ' || lower(n) || ', model ' || g,
                   round((1 + random() * 999)::numeric, 2), 'SKU-' || lpad(g::text, 7, '0'),
                   CASE WHEN random() < 0.05 THEN 0 ELSE 1 + floor(random() * 1000)::int END,
                   ({sql_array(CATEGORIES)})[1 + g % {len(CATEGORIES)}], random() < 0.9
            FROM generate_series(1::bigint, {products}) g,
                 LATERAL (SELECT ({sql_array(ADJECTIVES)})[1 + (g * 7) % {len(ADJECTIVES)}] AS a,
                                 ({sql_array(NOUNS)})[1 + (g * 11) % {len(NOUNS)}] AS n,
                                 now() - interval '1200 days' + g * interval '1000 days' / {products} AS t) x""",
        """INSERT INTO products_stockmovement (product_id, change, stock_after, reason, actor, request_id, note,
                                               created_at)
           SELECT id, stock_quantity, stock_quantity, 'initial', 'bench', '', 'scale benchmark', created_at
           FROM products_product ORDER BY id""",
        f"""INSERT INTO orders_order (id, created_at, updated_at, order_number, order_date, status, sub_total,
                                      tax_amount, shipping_amount, total_amount, customer_id)
            SELECT g, d, d, 'ORD-' || to_char(d AT TIME ZONE 'UTC', 'YYYYMMDD') || '-'
                            || upper(lpad(to_hex((g * 2654435761) % 4294967296), 8, '0')),
                   d, {status_case}, s, round(s * 0.08, 2), CASE WHEN s < 100 THEN 10 ELSE 0 END,
                   s + round(s * 0.08, 2) + CASE WHEN s < 100 THEN 10 ELSE 0 END,
                   1 + (g * 31) % {customers}
            FROM (SELECT g, now() - random() * interval '1095 days' AS d, random() AS r,
                         p1.price * ({quantity(0, "g")}) + p2.price * ({quantity(1, "g")}) AS s
                  FROM generate_series(1::bigint, {orders}) g
                  JOIN products_product p1 ON p1.id = {line(0, "g")}
                  JOIN products_product p2 ON p2.id = {line(1, "g")}) o
            ORDER BY g""",
        f"""INSERT INTO orders_orderitem (order_id, product_id, quantity, unit_price, total_price, created_at,
                                          updated_at)
            SELECT o.id, p.id, q, p.price, p.price * q, o.created_at, o.created_at
            FROM orders_order o,
                 LATERAL (VALUES (1, {line(0, "o.id")}, {quantity(0, "o.id")}),
                                 (2, {line(1, "o.id")}, {quantity(1, "o.id")})) AS l(k, product_id, q)
            JOIN products_product p ON p.id = l.product_id
            ORDER BY o.id, l.k""",
        *(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            for table in (
                "customers_customer",
                "products_product",
                "products_stockmovement",
                "orders_order",
                "orders_orderitem",
            )
        ),
    ]
