package io.easspark.udf.sql;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.functions;

/**
 * For code that owns its session: {@code EasSql.register(spark)} registers {@code eas_answer(image, question,
 * options)} (options may be NULL for a free-form question) with the settings in the session's {@code spark.eas.*}.
 * The session extension ({@link EasSqlExtensions}) also accepts the two-argument form.
 */
public final class EasSql {

    private EasSql() {
    }

    public static void register(SparkSession spark) {
        EasAnswerFunction fn = EasAnswerFunction.checked(k -> spark.conf().get(k, null),
                spark.sparkContext().hadoopConfiguration());
        // non-deterministic: otherwise the optimizer may inline it into each use of its result and run the model twice
        spark.udf().register(EasSqlExtensions.NAME,
                functions.udf((UDF3<Object, Object, Object, Object>) fn::answer, EasAnswerFunction.RESULT).asNondeterministic());
    }
}
