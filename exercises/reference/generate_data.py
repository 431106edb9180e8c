#!/usr/bin/env python3
"""Seeded generator of simple TinyStories-like English stories.

Development-only helper for the QuantLab reference model (the engine itself is Swift).

Outputs (all deterministic given the seeds below):
  build/train.txt      training stream (not committed; regenerate with this script)
  calibration.txt      ~8-10k tokens of held-out stories (committed)
  eval.txt             >=20k tokens of held-out stories (committed)

Stories are separated by a blank line. Held-out stories come from a separate RNG
stream and any story whose exact text also occurs in the training stream is skipped.
"""
import argparse
import os
import random

TRAIN_SEED = 20240611
HELDOUT_SEED = 77031

HERE = os.path.dirname(os.path.abspath(__file__))


def words(s):
    return s.split()


GIRLS = words("""
Lily Mia Anna Sara Emma Lucy Zoe Ella Amy Rose Kate Ruby Daisy Molly Grace Chloe Ivy
Maya Nora Hannah Julia Clara Alice Sophie Leah Eva Nina Olivia Jane Poppy Hazel Luna Stella
Bella Ellie Fiona Holly Jenny Kelly Laura Megan Penny Rita Sally Tina Vera Wendy Abby Becky
Cora Dora Fern Gina Hope Iris Joy Kim Lola Mary Nell Opal Pia Quinn Rosa Tess Una Vicky Willa
Yara Zara Ada Beth Cleo Dana Edie Faye Gwen Hilda Ina Jill Kara Lena Mona Nia Ona Paula
""")
BOYS = words("""
Tom Ben Sam Max Leo Jack Tim Finn Jake Luke Noah Owen Ryan Adam Alex Bob Carl Dan Eli Fred
Gus Hank Ian Joe Kevin Liam Mark Ned Oscar Pete Rick Seth Ted Vince Will Zack Arlo Billy
Cody Dave Eddie Frank George Harry Jim Kyle Lenny Milo Nick Ollie Paul Ray Sid Toby Victor
Wes Andy Bruno Chris Dylan Ethan Felix Gabe Henry Jonah Kai Lucas Matt Nate Otto Percy Rex
Simon Theo Ugo Walt Xavier Yusuf Abe Bert Colin Derek Emil Flynn
""")
# (singular, plural, sound-verb)
ANIMALS = [
    ("cat", "cats", "meowed"), ("dog", "dogs", "barked"), ("bird", "birds", "sang"),
    ("frog", "frogs", "croaked"), ("duck", "ducks", "quacked"), ("cow", "cows", "mooed"),
    ("pig", "pigs", "oinked"), ("horse", "horses", "neighed"), ("sheep", "sheep", "baaed"),
    ("goat", "goats", "bleated"), ("mouse", "mice", "squeaked"), ("owl", "owls", "hooted"),
    ("lion", "lions", "roared"), ("bear", "bears", "growled"), ("rabbit", "rabbits", "sniffed"),
    ("fox", "foxes", "yipped"), ("puppy", "puppies", "yipped"), ("kitten", "kittens", "purred"),
    ("bunny", "bunnies", "hopped"), ("turtle", "turtles", "blinked"), ("fish", "fish", "splashed"),
    ("bee", "bees", "buzzed"), ("squirrel", "squirrels", "chattered"), ("hen", "hens", "clucked"),
    ("chick", "chicks", "peeped"), ("monkey", "monkeys", "chattered"), ("elephant", "elephants", "trumpeted"),
    ("deer", "deer", "sniffed"), ("wolf", "wolves", "howled"), ("snake", "snakes", "hissed"),
    ("butterfly", "butterflies", "fluttered"), ("ladybug", "ladybugs", "crawled"), ("snail", "snails", "crawled"),
    ("parrot", "parrots", "squawked"), ("penguin", "penguins", "waddled"), ("tiger", "tigers", "roared"),
    ("zebra", "zebras", "snorted"), ("giraffe", "giraffes", "hummed"), ("hedgehog", "hedgehogs", "sniffed"),
    ("dolphin", "dolphins", "clicked"), ("whale", "whales", "sang"), ("crab", "crabs", "clicked"),
    ("pony", "ponies", "neighed"), ("donkey", "donkeys", "brayed"), ("goose", "geese", "honked"),
    ("ant", "ants", "marched"), ("spider", "spiders", "crawled"), ("bat", "bats", "squeaked"),
    ("dragon", "dragons", "roared"), ("dinosaur", "dinosaurs", "stomped"), ("raccoon", "raccoons", "sniffed"),
    ("otter", "otters", "squeaked"), ("beaver", "beavers", "chewed"), ("seal", "seals", "barked"),
    ("koala", "koalas", "yawned"), ("panda", "pandas", "yawned"), ("kangaroo", "kangaroos", "hopped"),
    ("lamb", "lambs", "baaed"), ("robin", "robins", "sang"), ("worm", "worms", "wiggled"),
]
PET_NAMES = words("""
Spot Fluffy Buddy Max Coco Pip Sunny Patch Whiskers Biscuit Pepper Ginger Muffin Bubbles
Oreo Shadow Snowy Rusty Socks Button Peanut Cookie Honey Tiny Bingo Fuzzy Nutmeg Pebble Ziggy
""")
COLORS = words("red blue green yellow pink purple orange white black brown gray gold silver")
SIZES = words("big small little tiny huge tall short long round soft")
ADJ_THING = words("""
shiny new old pretty fancy soft fluffy bright colorful special funny strange magic wooden
sparkly smooth bumpy heavy light warm cozy clean dirty broken tiny giant striped spotted
""")
ADJ_PERSON = words("""
kind brave happy curious friendly gentle clever cheerful playful shy smart funny helpful
quiet busy sweet silly careful honest polite strong proud lucky bold calm
""")
# (object, plural)
OBJECTS = [
    ("ball", "balls"), ("kite", "kites"), ("doll", "dolls"), ("car", "cars"), ("truck", "trucks"),
    ("boat", "boats"), ("hat", "hats"), ("box", "boxes"), ("book", "books"), ("bike", "bikes"),
    ("drum", "drums"), ("bell", "bells"), ("cup", "cups"), ("bag", "bags"), ("block", "blocks"),
    ("crayon", "crayons"), ("balloon", "balloons"), ("teddy bear", "teddy bears"), ("robot", "robots"),
    ("train", "trains"), ("puzzle", "puzzles"), ("shell", "shells"), ("stone", "stones"),
    ("flower", "flowers"), ("leaf", "leaves"), ("feather", "feathers"), ("key", "keys"),
    ("coin", "coins"), ("ring", "rings"), ("map", "maps"), ("lamp", "lamps"), ("clock", "clocks"),
    ("spoon", "spoons"), ("blanket", "blankets"), ("pillow", "pillows"), ("scarf", "scarves"),
    ("shoe", "shoes"), ("sock", "socks"), ("button", "buttons"), ("pencil", "pencils"),
    ("brush", "brushes"), ("bucket", "buckets"), ("shovel", "shovels"), ("jar", "jars"),
    ("basket", "baskets"), ("rope", "ropes"), ("stick", "sticks"), ("star", "stars"),
    ("crown", "crowns"), ("flag", "flags"), ("whistle", "whistles"), ("marble", "marbles"),
    ("toy", "toys"), ("picture", "pictures"), ("letter", "letters"), ("umbrella", "umbrellas"),
    ("wagon", "wagons"), ("sled", "sleds"), ("bowl", "bowls"), ("plate", "plates"),
    ("guitar", "guitars"), ("horn", "horns"), ("mirror", "mirrors"), ("candle", "candles"),
    ("present", "presents"), ("rock", "rocks"), ("jacket", "jackets"), ("necklace", "necklaces"),
]
FOODS = words("""
apple banana cake cookie pie sandwich carrot grape orange pear peach plum cherry muffin
bread cheese soup pizza candy berry melon lemon egg cupcake pancake waffle noodle potato
""")
FOODS_PLURAL = {"cherry": "cherries", "berry": "berries", "potato": "potatoes", "peach": "peaches",
                "sandwich": "sandwiches", "candy": "candies", "bread": "breads", "cheese": "cheeses",
                "soup": "soups"}
# (place, preposition phrase for living there)
PLACES = words("""
park garden forest beach lake river farm zoo school library market town village hill
meadow field pond playground castle kitchen backyard cave island bakery mountain shop
""")
HOMES = [
    "a small house", "a big house", "a little town", "a quiet village", "a busy city",
    "a farm", "a cozy cabin", "a tall tower", "a house by the sea", "a house near the woods",
    "a yellow house", "a blue house", "an old house", "a tiny cottage", "a house on a hill",
]
FEELINGS_GOOD = words("happy glad excited proud calm thankful cheerful joyful safe")
FEELINGS_BAD = words("sad scared worried angry upset lonely tired grumpy nervous confused")
ACTIVITIES = [
    "play outside", "draw pictures", "sing songs", "dance", "read books", "run fast",
    "jump high", "play with blocks", "climb trees", "swim in the lake", "look at the stars",
    "bake cookies", "help her mom", "help his dad", "pick flowers", "fly a kite",
    "ride a bike", "build sand castles", "play hide and seek", "paint", "tell jokes",
    "feed the ducks", "watch the clouds", "collect shells", "play the drum", "explore",
    "dig in the garden", "make new friends", "play games", "splash in puddles",
]
RELATIVES = ["mom", "dad", "grandma", "grandpa", "sister", "brother", "aunt", "uncle", "teacher", "friend"]
WEATHER = [
    "sunny", "rainy", "windy", "cold", "warm", "snowy", "cloudy", "bright", "hot", "quiet",
]
TIMES = [
    "One day", "One morning", "One sunny day", "One evening", "Later that day", "The next day",
    "One afternoon", "Every day", "One summer day", "One winter morning", "On a rainy day",
]
OPENERS = [
    "Once upon a time, there was", "Once upon a time, there lived", "Long ago, there was",
    "There once was", "Once there was", "In a land far away, there was",
]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve"]
ENDINGS = [
    "From that day on, {n} and {f} were best friends.",
    "{N} learned that it is good to share.",
    "{N} learned that being kind is the best thing of all.",
    "{N} smiled and went home, {feel} and tired.",
    "And they all lived happily ever after.",
    "That night, {n} went to bed with a big smile.",
    "{N} never forgot that day.",
    "{N} knew that friends always help each other.",
    "It was the best day ever.",
    "{N} learned to be careful and to listen.",
    "The end.",
    "{N} hugged {f} and said, \"Thank you.\"",
]

# Extra word lists used by the sentence templates, to broaden vocabulary.
MOVES = words("walked ran hopped skipped jumped raced wandered marched strolled hurried")
LOOKS = words("looked peeked stared glanced peered")
SAYS = words("said whispered answered replied laughed explained added smiled")
SAYS_Q = words("asked wondered asked asked")
SAYS_EX = words("shouted cried called yelled exclaimed said")
SOUNDS = ["a loud noise", "a soft sound", "a funny sound", "a small cry", "a big bang",
          "a sweet song", "a strange buzz", "a happy laugh", "a quiet squeak"]
TREE_THINGS = ["a tall tree", "a big rock", "an old fence", "a high wall", "a deep hole",
               "a thick bush", "a muddy puddle", "a wide river", "a dark cave", "a steep hill"]
HELPS = ["a long stick", "a strong rope", "a tall ladder", "a big box", "a soft blanket",
         "a little bucket", "a small boat", "a bright lamp"]


# --- broader vocabulary for descriptive "scene" sentences and adventures -------
MORE_GIRLS = words("""
Agnes Bonnie Carmen Delia Elsa Flora Greta Heidi Irene Jade Kira Lara Mabel Nadia Olga
Petra Rhea Selma Thea Ursula Violet Wren Xena Yvonne Zelda Alma Brenda Cassie Daphne Esme
Frida Gloria Harriet Isla Josie Kitty Lottie Martha Nancy Orla Pearl Ramona Sadie Trudy
""")
MORE_BOYS = words("""
Aaron Barney Caleb Dennis Edgar Fabio Gordon Hugo Isaac Jasper Kurt Lionel Morris Norman
Oliver Pablo Quentin Rufus Stanley Tobias Ulrich Vernon Warren Yuri Zeke Alfie Boris Cyril
Duncan Ernie Floyd Gilbert Herbert Igor Jerome Kenny Lloyd Marvin Nigel Orson Phil Reggie
""")
NATURE = words("""
sky cloud sun moon star rainbow tree branch root bush grass weed flower petal seed acorn
pinecone mushroom moss vine log stump rock pebble sand mud puddle stream waterfall wave
shore island hill valley cliff meadow field pond lake river ocean wind breeze storm thunder
lightning snow snowflake ice frost fog mist dew raindrop sunrise sunset shadow
""")
HOUSE_THINGS = words("""
table chair bed sofa window door stairs roof floor wall rug curtain shelf drawer closet
oven sink kettle teapot fork knife napkin towel soap bathtub mirror basket backpack bottle
broom ladder hammer nail tent quilt cushion cupboard fridge stove radio piano fan heater
""")
MORE_ADJ = words("""
beautiful wonderful lovely gentle noisy quiet sleepy hungry thirsty dusty muddy sunny
windy chilly frosty foggy stormy sandy rocky grassy leafy shady bumpy twisty narrow wide
deep shallow golden silvery glowing twinkly sparkling shimmering fuzzy prickly sticky
slippery squishy crunchy juicy sour sweet salty spicy fresh ripe rotten empty full hollow
ancient secret hidden lost forgotten enormous gigantic teeny mighty wobbly crooked neat
messy tidy busy lazy eager jolly grumpy sneaky brave clumsy graceful fancy plain simple
""")
MORE_VERBS_PAST = words("""
noticed discovered collected gathered painted carried dropped lifted pushed pulled opened
closed fixed cleaned washed dried folded stacked counted measured planted watered picked
tasted smelled touched hugged tickled chased followed visited explored crossed climbed
borrowed returned wrapped unwrapped decorated shared traded sorted mixed stirred poured
""")
SMELLS = ["fresh bread", "warm soup", "sweet flowers", "wet grass", "the salty sea", "pine trees",
          "hot cocoa", "baked apples", "rain on the ground", "burnt toast"]

JOBS = words("""
doctor nurse teacher farmer baker cook pilot driver painter singer dancer builder sailor
firefighter vet dentist gardener artist writer scientist astronaut captain fisher plumber
mechanic carpenter librarian mail-carrier police-officer zookeeper clown magician inventor
""")
CLOTHES = words("""
dress skirt shirt sweater coat jacket hat cap boots sandals mittens gloves scarf pajamas
apron overalls cape vest raincoat slippers belt bow ribbon helmet
""")
VEHICLES = words("""
bus train plane rocket ship tractor bicycle scooter wagon canoe submarine helicopter taxi
van truck ambulance firetruck sailboat balloon skateboard
""")
BODY = words("head nose ears eyes mouth teeth hands feet toes knees tummy hair tail paws wings")
GAMES = ["tag", "hopscotch", "catch", "checkers", "dress-up", "peekaboo", "marbles",
         "tic-tac-toe", "leapfrog", "jump rope", "red light green light", "musical chairs"]
INSTRUMENTS = words("piano violin flute trumpet harp drum tambourine xylophone ukulele banjo cello")
TREATS = words("""
lollipop popsicle brownie donut pretzel popcorn jellybean marshmallow gingerbread pudding
smoothie lemonade milkshake biscuit cracker toffee caramel chocolate strawberry blueberry
raspberry watermelon pineapple coconut mango kiwi tomato cucumber pumpkin broccoli spinach
""")
EXTRA_NATURE = words("""
blossom tulip daisy rose sunflower dandelion clover fern cactus palm willow oak maple
birch pine cherry-tree orchard hedge garden-path bridge tunnel lighthouse windmill barn
fence gate well chimney tower castle cottage cabin igloo hut nest burrow hive web
""")

COMMON_NOUNS = words("""
airport alarm album alley anchor angel ankle ant-hill arrow attic badge bakery bamboo bandage
banner barrel beard beetle bench berry blanket-fort blossom bolt bone bonnet boot bottle-cap
bracelet brick bridge bubble bucket-hat bug bulb bundle cabbage cage calendar camera canal
candle-stick cannon canvas cape card carpet carriage cart castle-gate cave-door cereal chain
chalk chest chick-pea chip circle city-bus cliffside coach collar comb compass cone cookie-jar
corner cottage-door cowboy crate crayon-box creek cricket crumb crystal cube curtain-rod
cushion-fort daisy-chain desk diamond dice dish dock doorbell dot dragonfly drawer-knob dream
drop dust eagle earring easel envelope eraser fairy fan-belt feast fiddle finger fireplace
firefly flashlight fleet flute-case foam footprint fountain frame garage gem giant glass
globe glue goal goblin gown grain grasshopper gravel guard hammock handle harbor harvest
hatch hay heart helmet-strap hen-house hook hoop hose hut-roof iceberg ink jam jeep jelly
jewel journal jug kennel kettle-lid kingdom kitten-bed knot label lace ladder-rung lane lantern
lap lawn lid lighthouse-lamp lily lock locket loop magnet mailbox mane marker mask meadow-path
medal melody mermaid mitten moat motor mountain-top mug nap needle net notebook nut oar
olive orbit paddle pail palace pan panda-bear parade parcel path pearl pebble-path pen
pepper pet picnic pie-dish pier pin pipe pirate pitcher planet plant pocket poem pole pot
pouch prince princess pump puppet quilt-square rabbit-hole rack raft rail rainbow-bridge rake
riddle river-bank road robe rocket-ship roof-top room rooster rose-bush ruler saddle sail
salad scale school-bus scissors seesaw shed sheet shelf-top shore-line sign skate sky-line
slide slope snack snowman soap-bubble song spark sponge spring square stable stage stamp
statue step stool storm-cloud story string sugar suitcase swing sword tablet tag tape tea
tent-pole thread throne ticket tide tire torch tower-bell toy-box track trail treasure
trumpet-horn tub tulip-bed tune twig vase velvet village-square violin-bow wallet wand
wheel whisker wig window-box wing wire wool yard yarn zipper
""")


def plural(w):
    if w.endswith(("s", "sh", "ch", "x")):
        return w + "es"
    if w.endswith("y") and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    if w.endswith("f"):
        return w[:-1] + "ves"
    return w + "s"


def a_an(w):
    return ("an " if w[0].lower() in "aeiou" else "a ") + w


def cap(s):
    return s[0].upper() + s[1:]


class Story:
    def __init__(self, rng):
        self.r = rng

    def c(self, xs):
        return self.r.choice(xs)

    def person(self):
        girl = self.r.random() < 0.5
        pool = (GIRLS if girl else BOYS) if self.r.random() < 0.75 else (MORE_GIRLS if girl else MORE_BOYS)
        if girl:
            return self.c(pool), "she", "her", "her", "girl"
        return self.c(pool), "he", "him", "his", "boy"

    def make(self):
        story = self._make()
        return story

    def _make(self):
        r = self.r
        kind = r.random()
        if kind < 0.25:
            return self.lost_object()
        if kind < 0.47:
            return self.animal_help()
        if kind < 0.68:
            return self.sharing()
        if kind < 0.85:
            return self.counting()
        if kind < 0.93:
            return self.dialogue_trip()
        return self.adventure()

    # --- shared pieces ---------------------------------------------------------
    def intro(self, name, sub, pos, kind):
        r = self.r
        age = r.randint(3, 9)
        adj = self.c(ADJ_PERSON)
        opts = [
            f"{self.c(OPENERS)} {a_an(adj)} {kind} named {name}.",
            f"{self.c(OPENERS)} {a_an(adj)} {kind} named {name} who lived in {self.c(HOMES)}.",
            f"{name} was {a_an(adj)} {kind}. {cap(sub)} was {age} years old.",
            f"{self.c(OPENERS)} a little {kind} named {name}. {cap(sub)} was {age} years old and very {adj}.",
            f"{name} was {age} years old. {cap(sub)} lived in {self.c(HOMES)} with {pos} {self.c(RELATIVES[:4])}.",
        ]
        s = self.c(opts)
        act = self.c(ACTIVITIES)
        if act.startswith("help her") and sub == "he":
            act = act.replace("her", "his")
        if act.startswith("help his") and sub == "she":
            act = act.replace("his", "her")
        more = [
            f" {cap(sub)} loved to {act}.",
            f" Every day, {sub} liked to {act}.",
            f" {cap(pos)} favorite thing was to {act}.",
            "",
        ]
        s = s + self.c(more)
        if self.r.random() < 0.45:
            s += " " + self.detail(name, sub, pos)
        return s

    def ending(self, name, friend, feel):
        e = self.c(ENDINGS)
        return e.format(N=name, n=name, f=friend, feel=feel)

    def quote(self, text, who, verb=None):
        if verb is None:
            if text.endswith("?"):
                verb = self.c(SAYS_Q)
            elif text.endswith("!"):
                verb = self.c(SAYS_EX)
            else:
                verb = self.c(SAYS)
        form = self.r.random()
        if form < 0.6:
            if text[-1] in ".":
                text = text[:-1] + ","
            return f"\"{text}\" {verb} {who}."
        if form < 0.85:
            return f"{cap(who)} {verb}, \"{text}\""
        return f"\"{text}\""

    def scene(self, place):
        """One descriptive sentence drawing on the broad word lists."""
        n1, n2 = self.c(NATURE + EXTRA_NATURE), self.c(NATURE + EXTRA_NATURE)
        h = self.c(HOUSE_THINGS)
        name_or_they = "They"
        a1, a2 = self.c(MORE_ADJ), self.c(MORE_ADJ)
        return self.c([
            f"The {place} was {a1} and {a2}.",
            f"There was {a_an(a1)} {n1} and {a_an(a2)} {n2} at the {place}.",
            f"The {n1} looked {a1} that day.",
            f"It smelled like {self.c(SMELLS)}.",
            f"Near the {place} stood {a_an(a1)} {h}.",
            f"{name_or_they} saw {a_an(self.c(COMMON_NOUNS).replace('-', ' '))} by the {n1}.",
            f"Everything was {a1}, even the {plural(n1)}.",
            f"{cap(a_an(a1))} {n1} was next to {a_an(a2)} {h}.",
            f"A {self.c(VEHICLES)} went by, and a {self.c(JOBS).replace('-', ' ')} waved.",
            f"Someone was playing {a_an(self.c(INSTRUMENTS))} near the {n1}.",
            f"There were {plural(self.c(TREATS))} and {plural(self.c(TREATS))} for everyone.",
        ])

    def detail(self, name, sub, pos):
        """A character detail sentence (clothes, dreams, games, treats)."""
        return self.c([
            f"{cap(sub)} wore {pos} {self.c(COLORS)} {self.c(CLOTHES)}.",
            f"{name} wanted to be {a_an(self.c(JOBS).replace('-', ' '))} one day.",
            f"{cap(pos)} favorite game was {self.c(GAMES)}.",
            f"{cap(sub)} liked to eat {plural(self.c(TREATS))}.",
            f"{cap(sub)} could play the {self.c(INSTRUMENTS)}.",
            f"{cap(sub)} dreamed of riding in {a_an(self.c(VEHICLES))}.",
            f"{cap(sub)} had a small scar on {pos} {self.c(BODY)}.",
            f"{cap(sub)} kept {a_an(self.c(COMMON_NOUNS).replace('-', ' '))} under {pos} bed.",
            f"{cap(sub)} once drew {a_an(self.c(COMMON_NOUNS).replace('-', ' '))} and {a_an(self.c(COMMON_NOUNS).replace('-', ' '))}.",
        ])

    def adventure(self):
        name, sub, obj, pos, kind = self.person()
        place = self.c(PLACES)
        p = [self.intro(name, sub, pos, kind)]
        p.append(f"{self.c(TIMES)}, {name} went on an adventure to the {place}.")
        p.append(self.scene(place))
        thing = self.c(HOUSE_THINGS + NATURE + COMMON_NOUNS).replace("-", " ")
        adj = self.c(MORE_ADJ)
        p.append(self.c([
            f"{cap(sub)} {self.c(MORE_VERBS_PAST)} {a_an(adj)} {thing}.",
            f"On the way, {sub} {self.c(MORE_VERBS_PAST)} {a_an(adj)} {thing} and smiled.",
            f"Soon {sub} found {a_an(adj)} {thing}. It was very {self.c(MORE_ADJ)}.",
        ]))
        p.append(self.quote(self.c([
            f"What a {adj} {thing}!", f"I have never seen {a_an(thing)} like this.",
            f"Is this {thing} {adj}?", "This is the best adventure!",
        ]), name))
        p.append(self.scene(place))
        an = self.c(ANIMALS)
        p.append(self.c([
            f"Then {a_an(an[0])} came out from behind {self.c(TREE_THINGS)}. It {an[2]}.",
            f"{cap(sub)} met {a_an(an[0])} who wanted to be {pos} friend.",
            f"Far away, {name} could see many {an[1]}.",
        ]))
        good = self.c(FEELINGS_GOOD)
        p.append(self.c([
            f"When it got dark, {name} went home. {cap(sub)} told {pos} {self.c(RELATIVES[:4])} all about the {thing}.",
            f"{name} {self.c(MORE_VERBS_PAST)} the {thing} and took it home.",
            f"At the end of the day, {name} was tired but {good}.",
        ]))
        p.append(self.ending(name, f"the {an[0]}", good))
        return " ".join(p)

    # --- story types -----------------------------------------------------------
    def lost_object(self):
        r = self.r
        name, sub, obj, pos, kind = self.person()
        thing, _ = self.c(OBJECTS)
        color = self.c(COLORS)
        adj = self.c(ADJ_THING)
        place = self.c(PLACES)
        rel = self.c(RELATIVES)
        p = []
        p.append(self.intro(name, sub, pos, kind))
        p.append(self.c([
            f"{cap(sub)} had {a_an(color)} {thing}. It was {adj} and {sub} loved it very much.",
            f"{name} had {a_an(adj)} {color} {thing}. {cap(sub)} took it everywhere.",
            f"{pos.capitalize()} {rel} gave {obj} {a_an(color)} {thing}. {name} loved the {thing} more than anything.",
        ]))
        p.append(self.c([
            f"{self.c(TIMES)}, {name} went to the {place} to play.",
            f"{self.c(TIMES)}, {name} took the {thing} to the {place}.",
            f"{self.c(TIMES)}, it was {self.c(WEATHER)}, and {name} {self.c(MOVES)} to the {place}.",
        ]))
        p.append(self.c([
            f"{cap(sub)} played and played. When {sub} wanted to go home, the {thing} was gone!",
            f"{cap(sub)} put the {thing} down to look at {a_an(self.c(ANIMALS)[0])}. When {sub} turned around, the {thing} was not there.",
            f"The wind was strong. It blew the {thing} away!",
        ]))
        if r.random() < 0.4:
            p.insert(3, self.scene(place))
        bad = self.c(FEELINGS_BAD)
        p.append(f"{name} felt {bad}. " + self.quote(self.c([
            f"Where is my {thing}?", f"I lost my {thing}!", f"Oh no, my {color} {thing} is gone.",
            f"I need to find my {thing}.",
        ]), name))
        helper = self.c(ANIMALS)
        hname = self.c(PET_NAMES)
        p.append(self.c([
            f"Then {name} saw {a_an(helper[0])} named {hname}. " + self.quote(
                "I can help you look.", hname, "said") + f" {hname} {helper[2]}.",
            f"{pos.capitalize()} {rel} came to help. " + self.quote("Let's look together.", f"{pos} {rel}"),
            f"A friendly {helper[0]} came by. The {helper[0]} {helper[2]} and ran to {self.c(TREE_THINGS)}.",
        ]))
        spot = self.c(TREE_THINGS)
        p.append(self.c([
            f"They looked under the bench and behind {spot}. At last, they found the {thing} next to {spot}!",
            f"They looked and looked. Soon {name} saw something {color} near {spot}. It was the {thing}!",
            f"They searched the whole {place}. Finally, the {thing} was there, under a pile of leaves.",
        ]))
        good = self.c(FEELINGS_GOOD)
        p.append(f"{name} was so {good}. " + self.quote(self.c([
            "Thank you for helping me!", f"I found my {thing}!", "You are a good friend.",
            f"I will keep my {thing} safe now.",
        ]), name))
        friend = hname if "named" in p[-3] else f"{pos} {rel}"
        p.append(self.ending(name, friend, good))
        return " ".join(p)

    def animal_help(self):
        r = self.r
        name, sub, obj, pos, kind = self.person()
        an = self.c(ANIMALS)
        size = self.c(SIZES)
        spot = self.c(TREE_THINGS)
        place = self.c(PLACES)
        p = [self.intro(name, sub, pos, kind)]
        p.append(f"{self.c(TIMES)}, {name} {self.c(MOVES)} to the {place}. {cap(sub)} heard {self.c(SOUNDS)}.")
        if r.random() < 0.4:
            p.append(self.scene(place))
        p.append(self.c([
            f"{cap(sub)} {self.c(LOOKS)} around and saw {a_an(size)} {an[0]}. The {an[0]} was stuck in {spot}.",
            f"It was {a_an(size)} {an[0]}. The poor {an[0]} could not get out of {spot}.",
            f"Near {spot}, there was {a_an(size)} {an[0]}. It looked {self.c(FEELINGS_BAD)}.",
        ]))
        p.append(self.quote(self.c([
            "Help me, please!", "I am stuck!", "Can you help me?", "I can not get out!",
        ]), f"the {an[0]}"))
        p.append(self.c([
            f"{name} wanted to help. {cap(sub)} thought and thought. Then {sub} had an idea.",
            f"{name} was {self.c(ADJ_PERSON)}. {cap(sub)} said, \"Don't worry, I will help you.\"",
            f"{name} was a little {self.c(FEELINGS_BAD)}, but {sub} wanted to help.",
        ]))
        tool = self.c(HELPS)
        p.append(self.c([
            f"{cap(sub)} found {tool} and gave it to the {an[0]}. The {an[0]} held on, and {name} pulled.",
            f"{cap(sub)} ran home and came back with {tool}. It worked!",
            f"{cap(sub)} called {pos} {self.c(RELATIVES)}. Together they used {tool} to help the {an[0]}.",
        ]))
        p.append(f"The {an[0]} was free! It {an[2]} and jumped up and down.")
        p.append(self.quote(self.c([
            "Thank you, you are very kind!", "Thank you for saving me!", "You are my hero!",
            "I am so happy. Thank you!",
        ]), f"the {an[0]}"))
        good = self.c(FEELINGS_GOOD)
        p.append(f"{name} felt {good}. " + self.c([
            f"The {an[0]} and {name} played in the {place} until the sun went down.",
            f"After that, the {an[0]} came to visit {name} every day.",
            f"{cap(sub)} waved goodbye to the {an[0]} and went home.",
        ]))
        p.append(self.ending(name, f"the {an[0]}", good))
        return " ".join(p)

    def sharing(self):
        r = self.r
        name, sub, obj, pos, kind = self.person()
        fname, fsub, fobj, fpos, fkind = self.person()
        while fname == name:
            fname, fsub, fobj, fpos, fkind = self.person()
        food = self.c(FOODS)
        thing, things = self.c(OBJECTS)
        place = self.c(PLACES)
        p = [self.intro(name, sub, pos, kind)]
        p.append(self.c([
            f"{name} had a friend named {fname}. They liked to play at the {place}.",
            f"{name} and {pos} friend {fname} went to the {place} together.",
            f"{self.c(TIMES)}, {name} met {a_an(self.c(ADJ_PERSON))} {fkind} named {fname} at the {place}.",
        ]))
        if r.random() < 0.5:
            item = f"the {food}"
            p.append(f"{name} had {a_an(food)} for lunch. It was big and {self.c(['sweet', 'yummy', 'warm', 'fresh', 'tasty'])}.")
        else:
            item = f"the {thing}"
            p.append(f"{name} had {a_an(self.c(COLORS))} {thing}. {fname} wanted to play with it too.")
        p.append(self.quote(self.c([
            f"Can I have some?", f"Can I play with {item}?", f"Will you share with me?",
            f"I wish I had one too.",
        ]), fname))
        p.append(self.c([
            f"At first, {name} did not want to share. {cap(sub)} said, \"No, it is mine!\"",
            f"{name} thought for a moment.",
            f"{name} held {item} tight. Then {sub} saw that {fname} looked {self.c(FEELINGS_BAD)}.",
        ]))
        p.append(self.c([
            f"Then {name} remembered what {pos} {self.c(RELATIVES[:4])} said: sharing makes everyone happy.",
            f"{name} felt bad. {cap(sub)} did not want {fname} to be sad.",
            f"{cap(sub)} looked at {fname} and smiled.",
        ]))
        p.append(self.quote(self.c([
            f"Here, you can have half.", "Let's share it.", "We can play with it together.",
            f"You can have a turn now.",
        ]), name))
        good = self.c(FEELINGS_GOOD)
        p.append(f"{fname} was very {good}. " + self.c([
            f"They shared {item} and laughed together.",
            f"The two friends played all afternoon.",
            f"{cap(fsub)} gave {name} a big hug.",
        ]))
        p.append(self.ending(name, fname, good))
        return " ".join(p)

    def counting(self):
        r = self.r
        name, sub, obj, pos, kind = self.person()
        thing, things = self.c(OBJECTS)
        n1 = r.randint(2, 9)
        n2 = r.randint(1, 3)
        total = n1 + n2
        place = self.c(PLACES)
        rel = self.c(RELATIVES)
        use_digits = r.random() < 0.4
        def num(k):
            return str(k) if use_digits or k > 12 else NUMBER_WORDS[k]
        p = [self.intro(name, sub, pos, kind)]
        p.append(f"{name} liked to collect {things}. {cap(sub)} had {num(n1)} {things} in a {self.c(COLORS)} box.")
        p.append(f"{self.c(TIMES)}, {name} went to the {place} with {pos} {rel}.")
        p.append(self.c([
            f"At the {place}, {sub} found {num(n2)} more {things if n2 > 1 else thing}.",
            f"{pos.capitalize()} {rel} gave {obj} {num(n2)} new {things if n2 > 1 else thing}.",
        ]))
        p.append(self.quote(f"Now I have {num(total)} {things}!", name))
        p.append(self.c([
            f"{name} counted them again: one, two, three, and more. There were {num(total)}.",
            f"{cap(sub)} put them in a line and counted them one by one.",
            f"{pos.capitalize()} {rel} laughed. " + self.quote(f"That is a lot of {things}.", f"{pos} {rel}"),
        ]))
        good = self.c(FEELINGS_GOOD)
        p.append(f"{name} felt {good}. " + self.c([
            f"{cap(sub)} showed the {things} to all {pos} friends.",
            f"{cap(sub)} gave one to {pos} {rel} as a gift.",
            f"That night, {sub} put the box next to {pos} bed.",
        ]))
        p.append(self.ending(name, f"{pos} {rel}", good))
        return " ".join(p)

    def dialogue_trip(self):
        r = self.r
        name, sub, obj, pos, kind = self.person()
        rel = self.c(RELATIVES[:4])
        place = self.c(PLACES)
        an = self.c(ANIMALS)
        weather = self.c(WEATHER)
        p = [self.intro(name, sub, pos, kind)]
        p.append(f"{self.c(TIMES)}, it was {weather} outside.")
        p.append(self.quote(f"Can we go to the {place}?", name))
        p.append(self.quote(self.c([
            "Yes, let's go!", "Okay, but put on your coat.", "Yes, but stay close to me.",
            "Not now. Maybe after lunch.",
        ]), f"{pos} {rel}"))
        p.append(self.c([
            f"At the {place}, they saw many {an[1]}. One {an[0]} came close and {an[2]}.",
            f"When they got to the {place}, {name} saw {a_an(an[0])}. It was {self.c(COLORS)} and {self.c(SIZES)}.",
            f"The {place} was full of {an[1]}. {name} counted {self.c(NUMBER_WORDS[2:8])} of them.",
        ]))
        p.append(self.quote(self.c([
            f"Look, {a_an(an[0])}!", f"I like the {an[1]}.", f"Why is the {an[0]} so {self.c(SIZES)}?",
            f"Can I pet the {an[0]}?",
        ]), name))
        p.append(self.quote(self.c([
            f"Be gentle with it.", f"The {an[0]} is happy to see you.", "It is looking for food.",
            "Let's watch it quietly.",
        ]), f"{pos} {rel}"))
        food = self.c(FOODS)
        p.append(self.c([
            f"{name} gave the {an[0]} a piece of {food}. The {an[0]} ate it and {an[2]}.",
            f"They sat down and ate {a_an(food)} for a snack.",
            f"Then it started to rain, so they ran home, laughing all the way.",
        ]))
        good = self.c(FEELINGS_GOOD)
        p.append(f"{name} was {good}. " + self.ending(name, f"{pos} {rel}", good))
        return " ".join(p)


def generate(seed, n):
    rng = random.Random(seed)
    g = Story(rng)
    return [g.make() for _ in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-stories", type=int, default=16000)
    ap.add_argument("--calib-stories", type=int, default=55)
    ap.add_argument("--eval-stories", type=int, default=140)
    args = ap.parse_args()

    os.makedirs(os.path.join(HERE, "build"), exist_ok=True)
    train = generate(TRAIN_SEED, args.train_stories)
    train_set = set(train)
    held = []
    rng_stream = Story(random.Random(HELDOUT_SEED))
    need = args.calib_stories + args.eval_stories
    skipped = 0
    while len(held) < need:
        s = rng_stream.make()
        if s in train_set or s in held:
            skipped += 1
            continue
        held.append(s)
    calib = held[:args.calib_stories]
    ev = held[args.calib_stories:]
    with open(os.path.join(HERE, "build", "train.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(train) + "\n")
    with open(os.path.join(HERE, "calibration.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(calib) + "\n")
    with open(os.path.join(HERE, "eval.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(ev) + "\n")
    print(f"train stories {len(train)}, calibration {len(calib)}, eval {len(ev)}, "
          f"held-out duplicates skipped {skipped}")


if __name__ == "__main__":
    main()
