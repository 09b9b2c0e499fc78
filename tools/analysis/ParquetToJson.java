import org.apache.spark.sql.SparkSession;

/**
 * Writes an evaluate run's results.parquet as JSON lines, for the Python analyses next to it (Debian's python3 has
 * no Parquet reader). Run with the jar's own libraries, as a single-file program:
 * {@code java -cp "jobs/target/lib/*" tools/analysis/ParquetToJson.java IN.parquet OUT_DIR [IN OUT ...]}.
 * Each OUT_DIR must not exist (Spark's ErrorIfExists).
 */
public class ParquetToJson {
    public static void main(String[] args) {
        if (args.length == 0 || args.length % 2 != 0) {
            System.err.println("usage: ParquetToJson IN.parquet OUT_DIR [IN.parquet OUT_DIR ...]");
            System.exit(2);
        }
        SparkSession spark = SparkSession.builder().master("local[1]").appName("parquet-to-json").getOrCreate();
        try {
            for (int i = 0; i < args.length; i += 2) {
                spark.read().parquet(args[i]).coalesce(1).write().json(args[i + 1]);
            }
        } finally {
            spark.stop();
        }
    }
}
