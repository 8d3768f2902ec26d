use implreg::measure;
use implreg::problem::ProblemSpec;
use implreg::solver::{self, MarginNorm, RunSpec};

fn run(v: serde_json::Value) -> RunSpec {
    serde_json::from_value(v).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let problem_text = &args[1];
    let seeds: u64 = args[2].parse().unwrap();
    let runs: Vec<(String, RunSpec)> = args[3..]
        .iter()
        .map(|a| {
            let (name, text) = a.split_once('=').unwrap();
            (name.to_string(), run(serde_json::from_str(text).unwrap()))
        })
        .collect();
    let spec: ProblemSpec = serde_json::from_str(problem_text).unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
    println!(
        "seed svm_norm fmm_fsp {}",
        names
            .iter()
            .map(|n| format!("{n}:cos_l2 {n}:cos_linf {n}:cos_f {n}:fsp {n}:norm {n}:stop"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for seed in 0..seeds {
        let problem = spec.generate(seed);
        let refs: Vec<_> = [MarginNorm::L2, MarginNorm::Linf, MarginNorm::FourierL1]
            .iter()
            .map(|&norm| {
                solver::solve(
                    &RunSpec::MaxMargin(solver::MaxMarginSpec { norm, gap: 1e-6 }),
                    &problem,
                    seed,
                )
                .matrix
            })
            .collect();
        let mut line = format!(
            "{seed} {:.4} {:.4}",
            refs[0].norm(),
            measure::fourier_l1_over_l2(&refs[2])
        );
        for (_, r) in &runs {
            let rec = solver::solve(r, &problem, seed);
            let w = &rec.matrix;
            line += &format!(
                " {:.6} {:.6} {:.6} {:.4} {:.4} {:?}",
                measure::cosine(w, &refs[0]),
                measure::cosine(w, &refs[1]),
                measure::cosine(w, &refs[2]),
                measure::fourier_l1_over_l2(w),
                w.norm(),
                rec.status()
            );
        }
        println!("{line}");
    }
}
