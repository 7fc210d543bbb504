"""Where synthetic subscribers live: US states with their cities, area codes, ZIPs and zones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    """A city with the area codes that serve it, a ZIP prefix and a centre point."""

    name: str
    state: str
    area_codes: tuple[str, ...]
    zip_prefix: str
    time_zone: str
    latitude: float
    longitude: float
    psap: str


def _city(name: str, state: str, codes: str, zip3: str, tz: str, lat: float, lon: float) -> City:
    psap = f"{name} Emergency Communications"
    return City(name, state, tuple(codes.split()), zip3, tz, lat, lon, psap)


CITIES: tuple[City, ...] = (
    _city("Denver", "CO", "303 720", "802", "America/Denver", 39.7392, -104.9903),
    _city("Colorado Springs", "CO", "719", "809", "America/Denver", 38.8339, -104.8214),
    _city("Austin", "TX", "512 737", "787", "America/Chicago", 30.2672, -97.7431),
    _city("Houston", "TX", "713 281 832", "770", "America/Chicago", 29.7604, -95.3698),
    _city("Dallas", "TX", "214 469 972", "752", "America/Chicago", 32.7767, -96.7970),
    _city("El Paso", "TX", "915", "799", "America/Denver", 31.7619, -106.4850),
    _city("Minneapolis", "MN", "612", "554", "America/Chicago", 44.9778, -93.2650),
    _city("Chicago", "IL", "312 773 872", "606", "America/Chicago", 41.8781, -87.6298),
    _city("Washington", "DC", "202", "200", "America/New_York", 38.9072, -77.0369),
    _city("Phoenix", "AZ", "602 480 623", "850", "America/Phoenix", 33.4484, -112.0740),
    _city("Tucson", "AZ", "520", "857", "America/Phoenix", 32.2226, -110.9747),
    _city("Los Angeles", "CA", "213 310 323", "900", "America/Los_Angeles", 34.0522, -118.2437),
    _city("San Diego", "CA", "619 858", "921", "America/Los_Angeles", 32.7157, -117.1611),
    _city("San Francisco", "CA", "415 628", "941", "America/Los_Angeles", 37.7749, -122.4194),
    _city("Seattle", "WA", "206", "981", "America/Los_Angeles", 47.6062, -122.3321),
    _city("Portland", "OR", "503 971", "972", "America/Los_Angeles", 45.5152, -122.6784),
    _city("Las Vegas", "NV", "702 725", "891", "America/Los_Angeles", 36.1699, -115.1398),
    _city("Salt Lake City", "UT", "801 385", "841", "America/Denver", 40.7608, -111.8910),
    _city("Boise", "ID", "208", "837", "America/Boise", 43.6150, -116.2023),
    _city("Albuquerque", "NM", "505", "871", "America/Denver", 35.0844, -106.6504),
    _city("New York", "NY", "212 646 718", "100", "America/New_York", 40.7128, -74.0060),
    _city("Buffalo", "NY", "716", "142", "America/New_York", 42.8864, -78.8784),
    _city("Boston", "MA", "617 857", "021", "America/New_York", 42.3601, -71.0589),
    _city("Philadelphia", "PA", "215 267", "191", "America/New_York", 39.9526, -75.1652),
    _city("Pittsburgh", "PA", "412", "152", "America/New_York", 40.4406, -79.9959),
    _city("Atlanta", "GA", "404 470 678", "303", "America/New_York", 33.7490, -84.3880),
    _city("Miami", "FL", "305 786", "331", "America/New_York", 25.7617, -80.1918),
    _city("Tampa", "FL", "813", "336", "America/New_York", 27.9506, -82.4572),
    _city("Nashville", "TN", "615 629", "372", "America/Chicago", 36.1627, -86.7816),
    _city("New Orleans", "LA", "504", "701", "America/Chicago", 29.9511, -90.0715),
    _city("St. Louis", "MO", "314", "631", "America/Chicago", 38.6270, -90.1994),
    _city("Kansas City", "MO", "816", "641", "America/Chicago", 39.0997, -94.5786),
    _city("Detroit", "MI", "313", "482", "America/Detroit", 42.3314, -83.0458),
    _city("Columbus", "OH", "614", "432", "America/New_York", 39.9612, -82.9988),
    _city("Charlotte", "NC", "704 980", "282", "America/New_York", 35.2271, -80.8431),
    _city("Anchorage", "AK", "907", "995", "America/Anchorage", 61.2181, -149.9003),
    _city("Honolulu", "HI", "808", "968", "Pacific/Honolulu", 21.3069, -157.8583),
)

CITY_WEIGHTS: tuple[int, ...] = tuple(
    {"New York": 9, "Los Angeles": 8, "Chicago": 7, "Houston": 6, "Phoenix": 5}.get(c.name, 3)
    for c in CITIES
)

INTERNATIONAL_PREFIXES: tuple[str, ...] = ("+44", "+52", "+91", "+63", "+49", "+86", "+57", "+234")

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Christopher", "Karen", "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty",
    "Anthony", "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew",
    "Emily", "Joshua", "Donna", "Kevin", "Michelle", "Brian", "Carol", "George", "Amanda",
    "Timothy", "Melissa", "Jose", "Deborah", "Luis", "Maria", "Carlos", "Ana", "Juan", "Sofia",
    "Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Raj", "Fatima", "Omar", "Aaliyah", "DeShawn",
    "Nguyen", "Minh", "Olga", "Ivan", "Chloe", "Liam", "Noah", "Emma", "Olivia", "Ava",
    "Isabella", "Mason", "Ethan", "Harper",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Wang", "Kim", "Patel",
    "Shah", "Okafor", "Cohen", "Murphy", "O'Brien", "Kowalski", "Schmidt", "Rossi", "Tanaka",
    "Yamamoto", "Singh", "Ali", "Hassan", "Johansson", "Dubois", "Novak", "Reyes", "Castillo",
    "Vasquez",
)

STREET_NAMES: tuple[str, ...] = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
    "Sunset", "Lincoln", "Jefferson", "Madison", "Franklin", "Highland", "Ridge", "Willow",
    "Meadow", "Spring", "River", "Church", "Mill", "Center", "Union", "Broadway", "Colfax",
    "Grant", "Cherry", "Walnut", "Magnolia", "Aspen", "Juniper", "Canyon", "Mesa",
)

STREET_SUFFIXES: tuple[str, ...] = ("St", "Ave", "Blvd", "Dr", "Ln", "Rd", "Ct", "Way", "Pl")
