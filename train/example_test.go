package train_test

import (
	"fmt"

	"qkv/train"
)

func ExampleWilson() {
	low, high := train.Wilson(95, 100)
	fmt.Printf("95/100 correct: 95%% Wilson interval %.1f%%–%.1f%%\n", 100*low, 100*high)
	// Output: 95/100 correct: 95% Wilson interval 88.8%–97.8%
}

func ExamplePreset() {
	cfg, err := train.Preset("paper")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Model.Width(), cfg.Model.NumParams(), cfg.Batch, cfg.Optimizer.Kind)
	// Output: 190 1311380 256 sign-momentum
}
