package io.easspark.jobs.scienceqa;

import java.util.List;

/**
 * The closed world of NO questions: fixed tables whose facts recur across every split, so a model can only answer
 * them by having learned them from the training split (as ScienceQA's no-context questions need world knowledge).
 */
final class FactTables {

    static final List<String> ANIMAL_CLASSES = List.of("mammal", "bird", "fish", "reptile", "amphibian");

    /** {animal, class}. */
    static final List<String[]> ANIMALS = List.of(
            new String[] {"dolphin", "mammal"}, new String[] {"bat", "mammal"}, new String[] {"horse", "mammal"},
            new String[] {"tiger", "mammal"}, new String[] {"whale", "mammal"}, new String[] {"rabbit", "mammal"},
            new String[] {"penguin", "bird"}, new String[] {"eagle", "bird"}, new String[] {"ostrich", "bird"},
            new String[] {"robin", "bird"}, new String[] {"owl", "bird"}, new String[] {"parrot", "bird"},
            new String[] {"salmon", "fish"}, new String[] {"shark", "fish"}, new String[] {"trout", "fish"},
            new String[] {"goldfish", "fish"}, new String[] {"tuna", "fish"}, new String[] {"cod", "fish"},
            new String[] {"lizard", "reptile"}, new String[] {"snake", "reptile"}, new String[] {"turtle", "reptile"},
            new String[] {"crocodile", "reptile"}, new String[] {"gecko", "reptile"}, new String[] {"iguana", "reptile"},
            new String[] {"frog", "amphibian"}, new String[] {"toad", "amphibian"}, new String[] {"newt", "amphibian"},
            new String[] {"salamander", "amphibian"}, new String[] {"axolotl", "amphibian"}, new String[] {"caecilian", "amphibian"});

    /** {word, opposite}. */
    static final List<String[]> OPPOSITES = List.of(
            new String[] {"hot", "cold"}, new String[] {"tall", "short"}, new String[] {"fast", "slow"},
            new String[] {"early", "late"}, new String[] {"open", "closed"}, new String[] {"empty", "full"},
            new String[] {"heavy", "light"}, new String[] {"loud", "quiet"}, new String[] {"wet", "dry"},
            new String[] {"rough", "smooth"}, new String[] {"happy", "sad"}, new String[] {"strong", "weak"},
            new String[] {"up", "down"}, new String[] {"young", "old"}, new String[] {"thick", "thin"},
            new String[] {"begin", "end"}, new String[] {"push", "pull"}, new String[] {"win", "lose"},
            new String[] {"buy", "sell"}, new String[] {"first", "last"});

    /** {state, capital}. */
    static final List<String[]> CAPITALS = List.of(
            new String[] {"Texas", "Austin"}, new String[] {"Ohio", "Columbus"}, new String[] {"Utah", "Salt Lake City"},
            new String[] {"Maine", "Augusta"}, new String[] {"Iowa", "Des Moines"}, new String[] {"Idaho", "Boise"},
            new String[] {"Oregon", "Salem"}, new String[] {"Nevada", "Carson City"}, new String[] {"Georgia", "Atlanta"},
            new String[] {"Vermont", "Montpelier"}, new String[] {"Arizona", "Phoenix"}, new String[] {"Florida", "Tallahassee"},
            new String[] {"Alaska", "Juneau"}, new String[] {"Kansas", "Topeka"}, new String[] {"Hawaii", "Honolulu"},
            new String[] {"Colorado", "Denver"}, new String[] {"Montana", "Helena"}, new String[] {"Virginia", "Richmond"},
            new String[] {"Wyoming", "Cheyenne"}, new String[] {"Delaware", "Dover"});

    private FactTables() {
    }
}
