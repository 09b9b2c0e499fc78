package io.easspark.udf.sql;

import io.easspark.loader.nativeformat.ModelFamily;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import scala.Option;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.AbstractFunction3;
import scala.runtime.BoxedUnit;

/**
 * For spark-sql and notebook users: {@code --conf spark.sql.extensions=io.easspark.udf.sql.EasSqlExtensions}
 * adds {@code eas_answer(image, question[, options])} to every session, with its settings from
 * {@code spark.eas.*} (see {@link SqlAnswerSettings}) read when a query using it is analysed.
 *
 * <p>Scala's collection types differ between Scala 2.12 (Spark 3.5) and 2.13 (Spark 4): the few places that touch
 * them go through {@link #cast} so the same source compiles against both.
 */
public final class EasSqlExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> implements java.io.Serializable {

    private static final long serialVersionUID = 1L;
    public static final String NAME = "eas_answer";

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        ExpressionInfo info = new ExpressionInfo(EasAnswerFunction.class.getName(), null, NAME,
                "eas_answer(image, question[, options]) - answers an image-question row with the LaVIN-EAS model in spark.eas.model; "
                        + "returns struct<answer, choice, status, error>. On a METER model: eas_answer(image, question) (VQA) or "
                        + "eas_answer(image, statement, image2) (NLVR2), returning struct<answer, choice, status, error, score>", "");
        extensions.injectFunction(cast(new Tuple3<>(new FunctionIdentifier(NAME), info, new Builder())));
        return BoxedUnit.UNIT;
    }

    /** Builds the expression for one call site: checks the arity, reads the settings, wraps the function. */
    static final class Builder extends AbstractFunction1<Object, Expression> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Expression apply(Object arguments) {
            scala.collection.Seq<?> args = (scala.collection.Seq<?>) arguments;
            if (args.size() != 2 && args.size() != 3) {
                throw new IllegalArgumentException("eas_answer takes (image, question) or (image, question, options), got "
                        + args.size() + " arguments");
            }
            SparkSession session = SparkSession.active();
            String model = session.conf().get(SqlAnswerSettings.PREFIX + "model", null);
            if (model != null && !model.isBlank() && isMeter(model, session)) {
                MeterAnswerFunction meter = MeterAnswerFunction.checked(model, k -> session.conf().get(k, null),
                        session.sparkContext().hadoopConfiguration());
                // (image, text) or (image, statement, image2): the third argument is NLVR2's second image
                Object scalaFn = args.size() == 2 ? new MeterTwo(meter) : new MeterThree(meter);
                return new ScalaUDF(scalaFn, MeterAnswerFunction.RESULT, cast(args), cast(scala.collection.immutable.Nil$.MODULE$),
                        Option.empty(), Option.apply(NAME), true, false);
            }
            EasAnswerFunction fn = EasAnswerFunction.checked(k -> session.conf().get(k, null),
                    session.sparkContext().hadoopConfiguration());
            Object scalaFn = args.size() == 2 ? new Two(fn) : new Three(fn);
            // udfDeterministic false: the optimizer must not inline it into each use of its result (two model runs)
            return new ScalaUDF(scalaFn, EasAnswerFunction.RESULT, cast(args), cast(scala.collection.immutable.Nil$.MODULE$),
                    Option.empty(), Option.apply(NAME), true, false);
        }
    }

    /** The family in the model's config.json; a missing directory is left to the LaVIN path's one-line error. */
    static boolean isMeter(String model, SparkSession session) {
        try {
            return ModelFamily.ofDirectory(model, session.sparkContext().hadoopConfiguration()) == ModelFamily.METER;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static final class MeterTwo extends AbstractFunction2<Object, Object, Object> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final MeterAnswerFunction fn;

        MeterTwo(MeterAnswerFunction fn) {
            this.fn = fn;
        }

        @Override
        public Object apply(Object image, Object text) {
            return fn.answer(image, text, null, false);
        }
    }

    static final class MeterThree extends AbstractFunction3<Object, Object, Object, Object> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final MeterAnswerFunction fn;

        MeterThree(MeterAnswerFunction fn) {
            this.fn = fn;
        }

        @Override
        public Object apply(Object image, Object statement, Object image2) {
            return fn.answer(image, statement, image2, true);
        }
    }

    static final class Two extends AbstractFunction2<Object, Object, Object> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final EasAnswerFunction fn;

        Two(EasAnswerFunction fn) {
            this.fn = fn;
        }

        @Override
        public Object apply(Object image, Object question) {
            return fn.answer(image, question, null);
        }
    }

    static final class Three extends AbstractFunction3<Object, Object, Object, Object> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final EasAnswerFunction fn;

        Three(EasAnswerFunction fn) {
            this.fn = fn;
        }

        @Override
        public Object apply(Object image, Object question, Object options) {
            return fn.answer(image, question, options);
        }
    }

    /** An unchecked cast whose target Java infers from the call site: Seq types differ between Scala versions. */
    @SuppressWarnings("unchecked")
    static <T> T cast(Object o) {
        return (T) o;
    }
}
