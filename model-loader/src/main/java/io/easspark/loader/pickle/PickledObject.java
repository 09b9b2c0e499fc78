package io.easspark.loader.pickle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An inert record of a Python object that a pickle would build by calling or instantiating a class: the class's
 * dotted name, the arguments REDUCE or NEWOBJ would have passed, the state BUILD would have set, and the items
 * SETITEMS/APPENDS would have added (dict and list subclasses). Nothing of the class is looked up, loaded or run.
 *
 * <p>Examples: {@code argparse.Namespace} (state: its fields), {@code torch.device} (args: {@code ('cuda', 0)}),
 * {@code numpy.core.multiarray._reconstruct} (state: {@code (1, shape, dtype, is_fortran, raw bytes)}),
 * {@code pathlib.PosixPath} (args: its parts), a Lightning {@code AttributeDict} (dict items).
 */
public final class PickledObject {

    private final String className;
    private final List<Object> args;
    private final boolean foreign;
    private final Map<Object, Object> dictItems = new LinkedHashMap<>();
    private final List<Object> listItems = new ArrayList<>();
    private Object state;

    PickledObject(String className, List<Object> args, boolean foreign) {
        this.className = className;
        this.args = args;
        this.foreign = foreign;
    }

    /** Dotted class (or function) name as the pickle's GLOBAL spells it, e.g. {@code argparse.Namespace}. */
    public String className() {
        return className;
    }

    /** Arguments of the REDUCE or NEWOBJ that made it (an immutable tuple). */
    public List<Object> args() {
        return args;
    }

    /** The BUILD state (for plain classes the instance's {@code __dict__}), or null when there was no BUILD. */
    public Object state() {
        return state;
    }

    /** The BUILD state's field {@code name} when the state is a dict, else null. */
    public Object field(String name) {
        return state instanceof Map<?, ?> m ? m.get(name) : null;
    }

    /** Items SETITEMS added (a dict subclass such as Lightning's AttributeDict). */
    public Map<Object, Object> dictItems() {
        return Collections.unmodifiableMap(dictItems);
    }

    /** Items APPEND/APPENDS added (a list subclass). */
    public List<Object> listItems() {
        return Collections.unmodifiableList(listItems);
    }

    /**
     * True for a class that is on no allow-list and was not allowed by the user: tolerated only outside the
     * {@code state_dict} of a PyTorch Lightning checkpoint.
     */
    boolean foreign() {
        return foreign;
    }

    Map<Object, Object> mutableDictItems() {
        return dictItems;
    }

    List<Object> mutableListItems() {
        return listItems;
    }

    void setState(Object state) {
        this.state = state;
    }

    @Override
    public String toString() {
        return className + "(" + args.size() + " args)"; // never prints contents: they may be huge or shared

    }
}
