use clap::Subcommand;

use crate::error::{CliError, CliResult};
use crate::{load, out};

#[derive(Subcommand)]
pub enum MediaCmd {
    /// 位置情報などの識別情報を、画素を再圧縮せずに削除する（向きは保つ）
    Strip { input: String, output: String },
    /// 画像のメタデータ（位置情報の有無など）を表示する
    Inspect { input: String },
}

fn bad_image(path: &str, e: &koho_media::MediaError) -> CliError {
    CliError::input(
        "INPUT_BAD_IMAGE",
        format!(
            "画像「{path}」を読み取れません。JPEG・PNG・WebP の画像を指定してください（{}）",
            e.code()
        ),
        format!("{path}: {e}"),
    )
}

pub fn run(cmd: MediaCmd) -> CliResult<u8> {
    match cmd {
        MediaCmd::Strip { input, output } => {
            let bytes = load::read_bytes(&input)?;
            let clean = koho_media::strip(&bytes).map_err(|e| bad_image(&input, &e))?;
            // Write beside the target and rename, so a failure never leaves half a file
            // (and never truncates the input when both paths are the same).
            let tmp = format!("{output}.koho-tmp");
            std::fs::write(&tmp, &clean).map_err(|e| CliError::io(&tmp, &e))?;
            std::fs::rename(&tmp, &output).map_err(|e| CliError::io(&output, &e))?;
            out(&format!(
                "{input} → {output}: {} バイト → {} バイト（位置情報などを削除しました）\n",
                bytes.len(),
                clean.len()
            ))?;
            Ok(0)
        }
        MediaCmd::Inspect { input } => {
            let bytes = load::read_bytes(&input)?;
            let meta = koho_media::inspect(&bytes).map_err(|e| bad_image(&input, &e))?;
            out(&format!("{meta:#?}\n"))?;
            Ok(0)
        }
    }
}
