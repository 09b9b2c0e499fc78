package io.easspark.udf.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.text.PromptFormat;
import io.easspark.loader.cache.DeviceRequest;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.udf.AnswerRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** spark.eas.* become the same typed request the jobs build from flags, checked on the driver, no Spark needed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SqlAnswerSettingsTest {

    String model;
    Configuration conf = new Configuration();

    @BeforeAll
    void model() throws Exception {
        Path dir = Files.createTempDirectory("sql-settings");
        DemoModel.write(dir, 7); // 4 layers, stored plan 1,3, max_seq_len 256
        model = dir.toUri().toString();
    }

    AnswerRequest sql(String... kv) {
        Map<String, String> settings = new HashMap<>();
        settings.put("spark.eas.model", model);
        for (int i = 0; i < kv.length; i += 2) {
            settings.put("spark.eas." + kv[i], kv[i + 1]);
        }
        return SqlAnswerSettings.request(settings::get, conf);
    }

    @Test
    void settingsBecomeTypedValuesWithTheSharedDefaults() throws Exception {
        AnswerRequest r = sql("skipPlan", "1, 3", "reparam", "STATIC", "device", " cpu ", "maxNewTokens", "5");
        assertThat(r.model().plan()).isEqualTo(SkipPlan.of(4, 1, 3));
        assertThat(r.model().reparam()).isEqualTo(ReparamMode.STATIC);
        assertThat(r.model().device()).isEqualTo(DeviceRequest.CPU);
        assertThat(r.generation().maxNewTokens()).isEqualTo(5);
        assertThat(r.batchSize()).isEqualTo(AnswerRequest.DEFAULT_BATCH_SIZE);
        assertThat(r.format()).isEqualTo(PromptFormat.QCM);
        // the same settings through the builder the command line uses: one value, whatever the spelling
        NativeModelDirectory dir = NativeModelDirectory.open(model, conf);
        AnswerRequest cli = AnswerRequest.builder(model).skipPlan("1,3").reparam("static").device("cpu").maxNewTokens(5)
                .build(dir, name -> "--" + name);
        assertThat(r).isEqualTo(cli);
        // no plan: the model's stored one, resolved to itself, so it is the same model as "1,3" spelled out
        assertThat(sql("maxNewTokens", "5", "reparam", "static", "device", "cpu")).isEqualTo(cli);
    }

    @Test
    void aRequestRoundTripsThroughJavaSerializationUnchanged() throws Exception {
        AnswerRequest r = sql("skipPlan", "0,2-3", "device", "auto", "batchSize", "3");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(r);
        }
        Object back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = in.readObject();
        }
        assertThat(back).isEqualTo(r).isNotSameAs(r);
        assertThat(((AnswerRequest) back).model().plan().skippedLayers()).containsExactly(0, 2, 3);
    }

    @Test
    void badSettingsFailOnTheDriverNamingTheSetting() {
        assertThatThrownBy(() -> sql("batchSize", "0")).hasMessage("spark.eas.batchSize must be >= 1: 0");
        assertThatThrownBy(() -> sql("batchSize", "x")).hasMessage("spark.eas.batchSize must be an integer: x");
        assertThatThrownBy(() -> sql("maxNewTokens", "256")).hasMessageStartingWith("spark.eas.maxNewTokens must be in 1..255");
        assertThatThrownBy(() -> sql("device", "tpu")).hasMessage("unknown spark.eas.device tpu: expected cpu, gpu or auto");
        assertThatThrownBy(() -> sql("skipPlan", "9")).hasMessageContaining("skip plan names layer 9 but the model has layers 0-3");
        assertThatThrownBy(() -> sql("reparam", "foo")).hasMessageContaining("unknown reparam mode 'foo'");
    }
}
