//! Published posts for the demo's archive (`koho serve --demo`): two posts of みどり市防災
//! and a correction of one of them, each drafted by the account manager, approved by the
//! section chief (みどり市 第5条(1)) and recorded as published, as the publisher would.
//! The corrected original is kept and marked (みどり市 第11条). Separate from
//! [`crate::demo::fill`] so that tests built on the demo register see no posts.

use koho_store::{PostId, Role};

use crate::Workflow;
use crate::posts::{CorrectionDraft, PostDraft, PostError};

const DAY: i64 = 24 * 3600 * 1000;

const DRILL: &str = "【防災訓練のお知らせ】6月1日（日）9時から、市民体育館で総合防災訓練を行います。どなたでも参加できます。";

/// Publishes the demo posts unless they are in the archive already; returns how many were
/// published (0 the second time).
pub async fn publish_demo_posts(wf: &Workflow, now: i64) -> Result<usize, PostError> {
    // The demo register has posts of its own (crate::demo): look for ours by their text.
    if wf.archive(100).await?.iter().any(|e| e.text == DRILL) {
        return Ok(0);
    }
    let people = wf.people().await?;
    let accounts = wf.accounts().await?;
    let Some(bousai) = accounts
        .iter()
        .find(|a| a.fields.handle == "@midori_bousai")
    else {
        return Ok(0);
    };
    let in_section = |role: Role| {
        people
            .iter()
            .find(|p| p.has_role(role) && p.department_id == bousai.fields.department_id)
    };
    let (Some(author), Some(chief)) = (
        in_section(Role::AccountManager),
        in_section(Role::SectionChief),
    ) else {
        return Ok(0);
    };
    let publish = |id: PostId, at: i64, remote: &'static str| async move {
        for d in wf.due_targets(at).await? {
            if d.post_id == id {
                let url = format!("https://x.com/midori_bousai/status/{remote}");
                wf.record_published(&d.target.id, remote, Some(&url), at)
                    .await?;
            }
        }
        Ok::<(), PostError>(())
    };
    let mut n = 0;
    let post = |body: &'static str, at: i64, remote: &'static str| {
        let draft = PostDraft {
            accounts: vec![bousai.id.clone()],
            body: body.to_owned(),
            ..PostDraft::default()
        };
        async move {
            let id = wf.draft_post(&draft, &author.id, at).await?.post.id;
            wf.submit_post(&id, &author.id, None, at).await?;
            wf.approve_post(&id, &chief.id, None, at).await?;
            publish(id.clone(), at, remote).await?;
            Ok::<PostId, PostError>(id)
        }
    };
    let drill = post(DRILL, now - 3 * DAY, "1800000000000000001").await?;
    n += 1;
    post(
        "【防災】梅雨の時期です。お住まいの地域のハザードマップと避難所を、いまのうちに確かめておきましょう。",
        now - 2 * DAY,
        "1800000000000000002",
    )
    .await?;
    n += 1;
    let fix = CorrectionDraft {
        body: "先日お知らせした総合防災訓練の日付に誤りがありました。正しくは6月8日（日）9時からです。".to_owned(),
        apology: Some("お詫びして訂正いたします。".to_owned()),
        ..CorrectionDraft::default()
    };
    let at = now - DAY;
    let c = wf.correct_post(&drill, &fix, &author.id, at).await?.post.id;
    wf.submit_post(&c, &author.id, None, at).await?;
    wf.approve_post(&c, &chief.id, None, at).await?;
    publish(c, at, "1800000000000000003").await?;
    for r in wf.pending_retractions().await? {
        wf.record_deleted(&r.id, at).await?;
    }
    n += 1;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use koho_guideline::Guideline;
    use koho_store::{PostKind, Store};

    #[tokio::test]
    async fn the_demo_archive_has_a_corrected_post_once() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let g = Guideline::preset("midori").unwrap().unwrap();
        crate::demo::fill(&store, "midori", g.clone())
            .await
            .unwrap();
        let wf = Workflow::open(&store, "midori", g).await.unwrap();
        let now = 1_780_000_000_000;
        let before = wf.archive(100).await.unwrap().len();
        assert_eq!(publish_demo_posts(&wf, now).await.unwrap(), 3);
        assert_eq!(publish_demo_posts(&wf, now).await.unwrap(), 0);
        let arch = wf.archive(100).await.unwrap();
        assert_eq!(arch.len(), before + 3);
        assert_eq!(arch[0].kind, PostKind::Correction);
        let original = arch.iter().find(|e| !e.corrected_by.is_empty()).unwrap();
        assert_eq!(original.original_handling.as_deref(), Some("keep-marked"));
        assert_eq!(wf.verify_audit().await.unwrap().problem, None);
    }
}
