package io.easspark.loader.pickle;

import java.util.Set;
import java.util.TreeSet;

/**
 * What a user who trusts a checkpoint more than the defaults do may let through. Neither option ever runs anything:
 * an allowed global still only becomes an inert {@link PickledObject}.
 *
 * @param allowedGlobals extra {@code module.Name} classes or functions to read as inert records
 *     ({@code eas convert --allow-global}); names that can run code ({@code os.system}, {@code builtins.eval}, ...)
 *     cannot be allowed
 * @param allowBroadcastTensors read tensors whose view covers more bytes than their storage holds (stride-0
 *     broadcasts), and lift {@code eas convert}'s bound of output by input bytes ({@code --allow-broadcast-tensors})
 */
public record ReadOptions(Set<String> allowedGlobals, boolean allowBroadcastTensors) {

    /** The plain-data classes always read inertly (for messages and {@code eas convert --help}). */
    public static final String INERT_CLASSES = "argparse.Namespace, collections.OrderedDict/defaultdict, torch.Size/device/dtypes,"
            + " numpy scalars, dtypes and arrays, pathlib paths, datetime";

    /** Nothing beyond the built-in allow-lists; no broadcast tensors. */
    public static final ReadOptions DEFAULT = new ReadOptions(Set.of(), false);

    public ReadOptions {
        for (String g : allowedGlobals) {
            if (!g.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+")) {
                throw new IllegalArgumentException("--allow-global " + g + ": expected a dotted module.Name such as"
                        + " omegaconf.listconfig.ListConfig");
            }
            if (PickleGlobals.dangerous(g)) {
                throw new IllegalArgumentException("--allow-global " + g + ": this name can run code or load files and is never"
                        + " read, whatever is allowed");
            }
        }
        allowedGlobals = Set.copyOf(new TreeSet<>(allowedGlobals));
    }
}
